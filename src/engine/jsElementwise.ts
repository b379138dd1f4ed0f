import * as tf from '@tensorflow/tfjs';
import type { NativeMemoryKernels } from './addon.js';
import { floatValues, sizeOf, type CpuBackend } from './cpuBackend.js';
import { callOriginal, replaceKernel, type KernelFunction } from './kernelRegistry.js';

type Args = Parameters<KernelFunction>[0];
const enum Op {
  Add,
  Sub,
  Mul,
  Div,
}

// One loop per operation, chosen outside the loop, so that V8 compiles each to straight arithmetic.
function inner(op: Op, out: Float32Array, o: number, a: Float32Array, ia: number, sa: number, b: Float32Array, ib: number, sb: number, n: number): void {
  switch (op) {
    case Op.Add:
      for (let i = 0; i < n; i++, ia += sa, ib += sb) out[o + i] = a[ia]! + b[ib]!;
      return;
    case Op.Sub:
      for (let i = 0; i < n; i++, ia += sa, ib += sb) out[o + i] = a[ia]! - b[ib]!;
      return;
    case Op.Mul:
      for (let i = 0; i < n; i++, ia += sa, ib += sb) out[o + i] = a[ia]! * b[ib]!;
      return;
    case Op.Div:
      for (let i = 0; i < n; i++, ia += sa, ib += sb) out[o + i] = a[ia]! / b[ib]!;
      return;
  }
}

/**
 * Broadcasting binary operation on row-major float32 arrays: axes of the output are grouped into blocks
 * with the same broadcast pattern, the innermost block runs as one loop with stride 0 or 1 per operand.
 */
export function broadcastBinary(
  op: Op,
  a: Float32Array,
  aShape: readonly number[],
  b: Float32Array,
  bShape: readonly number[],
  outShape: readonly number[],
  native?: NativeMemoryKernels,
): Float32Array {
  const rank = outShape.length;
  const out = new Float32Array(sizeOf(outShape));
  if (out.length === 0) return out;
  const pad = (s: readonly number[]): number[] => [...new Array<number>(rank - s.length).fill(1), ...s];
  const as = pad(aShape);
  const bs = pad(bShape);
  // blocks: [size, aStride (0|1 as a flag), bStride flag]
  const dims: number[] = [];
  const aFull: boolean[] = [];
  const bFull: boolean[] = [];
  for (let i = 0; i < rank; i++) {
    const d = outShape[i]!;
    if (d === 1) continue;
    const af = as[i] === d;
    const bf = bs[i] === d;
    const last = dims.length - 1;
    if (last >= 0 && aFull[last] === af && bFull[last] === bf) {
      dims[last]! *= d;
    } else {
      dims.push(d);
      aFull.push(af);
      bFull.push(bf);
    }
  }
  const m = dims.length;
  if (m === 0) {
    inner(op, out, 0, a, 0, 0, b, 0, 0, 1);
    return out;
  }
  // Element strides of each block in a and b (0 where broadcast).
  const aStr = new Array<number>(m);
  const bStr = new Array<number>(m);
  let sa = 1;
  let sb = 1;
  for (let i = m - 1; i >= 0; i--) {
    aStr[i] = aFull[i] ? sa : 0;
    bStr[i] = bFull[i] ? sb : 0;
    if (aFull[i]) sa *= dims[i]!;
    if (bFull[i]) sb *= dims[i]!;
  }
  if (native !== undefined) {
    native.binary(op, out, a, b, dims, aStr, bStr);
    return out;
  }
  const n = dims[m - 1]!;
  const ai = aStr[m - 1]!;
  const bi = bStr[m - 1]!;
  const outer = out.length / n;
  const idx = new Array<number>(m).fill(0);
  let ia = 0;
  let ib = 0;
  for (let o = 0; o < outer; o++) {
    inner(op, out, o * n, a, ia, ai, b, ib, bi, n);
    for (let k = m - 2; k >= 0; k--) {
      idx[k]!++;
      ia += aStr[k]!;
      ib += bStr[k]!;
      if (idx[k]! < dims[k]!) break;
      ia -= idx[k]! * aStr[k]!;
      ib -= idx[k]! * bStr[k]!;
      idx[k] = 0;
    }
  }
  return out;
}

function binaryKernel(name: string, op: Op, native: NativeMemoryKernels | undefined): void {
  replaceKernel(name, 'cpu', 'js', (original) => (args: Args) => {
    const backend = args.backend as CpuBackend;
    const { a, b } = args.inputs;
    const av = a && floatValues(backend, a);
    const bv = b && floatValues(backend, b);
    if (!a || !b || !av || !bv) return callOriginal(name, original, args);
    const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    return backend.makeTensorInfo(outShape, 'float32', broadcastBinary(op, av, a.shape, bv, b.shape, outShape, native));
  });
}

function unaryKernel(name: string, f: (x: Float32Array, out: Float32Array, attrs: tf.NamedAttrMap) => void): void {
  replaceKernel(name, 'cpu', 'js', (original) => (args: Args) => {
    const backend = args.backend as CpuBackend;
    const x = args.inputs.x;
    const xv = x && floatValues(backend, x);
    if (!x || !xv) return callOriginal(name, original, args);
    const out = new Float32Array(xv.length);
    f(xv, out, args.attrs ?? {});
    return backend.makeTensorInfo(x.shape.slice(), 'float32', out);
  });
}

/**
 * Registers Add, Sub, Multiply, RealDiv (with broadcasting), Relu and Step for float32 on `cpu`. With the
 * addon's memory-bound loops (`native`) the inner loops run in C++ (about 10× faster than JS's
 * float32→float64→float32 loops), with bit-identical results, and Neg, Abs, Sqrt, Square are replaced too.
 */
export function registerElementwise(native?: NativeMemoryKernels): void {
  binaryKernel('Add', Op.Add, native);
  binaryKernel('Sub', Op.Sub, native);
  binaryKernel('Multiply', Op.Mul, native);
  binaryKernel('RealDiv', Op.Div, native);
  // NaN passes through both, as in TF.js's kernels.
  unaryKernel('Relu', (x, out) => {
    if (native !== undefined) return native.unary(0, x, out, 0);
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      out[i] = v < 0 ? 0 : v;
    }
  });
  unaryKernel('Step', (x, out, attrs) => {
    const alpha = typeof attrs.alpha === 'number' ? attrs.alpha : 0;
    if (native !== undefined) return native.unary(1, x, out, alpha);
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      out[i] = v > 0 ? 1 : v !== v ? v : alpha;
    }
  });
  // Exact in float32, so only with the addon's loops (JS's would not beat TF.js's own by much).
  if (native !== undefined) {
    unaryKernel('Neg', (x, out) => native.unary(2, x, out, 0));
    unaryKernel('Abs', (x, out) => native.unary(3, x, out, 0));
    unaryKernel('Sqrt', (x, out) => native.unary(4, x, out, 0));
    unaryKernel('Square', (x, out) => native.unary(5, x, out, 0));
  }
}
