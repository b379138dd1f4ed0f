import * as tf from '@tensorflow/tfjs';
import type { NativeMemoryKernels } from './nativeAddon.js';
import { floatValues, sizeOf, type CpuBackend } from './cpuBackend.js';
import { callOriginal, replaceKernel, type KernelArgs } from './kernelRegistry.js';
import { uninitialisedFloat32 } from './outputArrays.js';

/** Binary operations; Add..Div also run in the addon (same codes), the others only in JS. */
const enum Op {
  Add,
  Sub,
  Mul,
  Div,
  Max,
  Min,
  GreaterEqual,
  Greater,
  LessEqual,
  Less,
  Equal,
  NotEqual,
}

/** Comparisons write bool (0/1 bytes); the arithmetic operations write float32. */
const isComparison = (op: Op): boolean => op >= Op.GreaterEqual;

// One loop per operation, chosen outside the loop, so that V8 compiles each to straight arithmetic; float32
// and bool outputs in separate functions, so that each keeps one array type (monomorphic element stores).
// Max and Min are Math.max/min, as TF.js's kernels (NaN wins, +0 above -0).
function arithmetic(op: Op, out: Float32Array, o: number, a: Float32Array, ia: number, sa: number, b: Float32Array, ib: number, sb: number, n: number): void {
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
    case Op.Max:
      for (let i = 0; i < n; i++, ia += sa, ib += sb) out[o + i] = Math.max(a[ia]!, b[ib]!);
      return;
    case Op.Min:
      for (let i = 0; i < n; i++, ia += sa, ib += sb) out[o + i] = Math.min(a[ia]!, b[ib]!);
      return;
  }
}

function comparison(op: Op, out: Uint8Array, o: number, a: Float32Array, ia: number, sa: number, b: Float32Array, ib: number, sb: number, n: number): void {
  switch (op) {
    case Op.GreaterEqual:
      for (let i = 0; i < n; i++, ia += sa, ib += sb) out[o + i] = a[ia]! >= b[ib]! ? 1 : 0;
      return;
    case Op.Greater:
      for (let i = 0; i < n; i++, ia += sa, ib += sb) out[o + i] = a[ia]! > b[ib]! ? 1 : 0;
      return;
    case Op.LessEqual:
      for (let i = 0; i < n; i++, ia += sa, ib += sb) out[o + i] = a[ia]! <= b[ib]! ? 1 : 0;
      return;
    case Op.Less:
      for (let i = 0; i < n; i++, ia += sa, ib += sb) out[o + i] = a[ia]! < b[ib]! ? 1 : 0;
      return;
    case Op.Equal:
      for (let i = 0; i < n; i++, ia += sa, ib += sb) out[o + i] = a[ia]! === b[ib]! ? 1 : 0;
      return;
    case Op.NotEqual:
      for (let i = 0; i < n; i++, ia += sa, ib += sb) out[o + i] = a[ia]! !== b[ib]! ? 1 : 0;
      return;
  }
}

function inner(op: Op, out: Float32Array | Uint8Array, o: number, a: Float32Array, ia: number, sa: number, b: Float32Array, ib: number, sb: number, n: number): void {
  if (out instanceof Float32Array) arithmetic(op, out, o, a, ia, sa, b, ib, sb, n);
  else comparison(op, out, o, a, ia, sa, b, ib, sb, n);
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
): Float32Array | Uint8Array {
  const rank = outShape.length;
  const out = isComparison(op) ? new Uint8Array(sizeOf(outShape)) : uninitialisedFloat32(sizeOf(outShape));
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
  if (native !== undefined && op <= Op.Div && out instanceof Float32Array) {
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
  replaceKernel(name, 'cpu', 'js', (original) => (args: KernelArgs) => {
    const backend = args.backend as CpuBackend;
    const { a, b } = args.inputs;
    const av = a && floatValues(backend, a);
    const bv = b && floatValues(backend, b);
    if (!a || !b || !av || !bv) return callOriginal(name, original, args);
    const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    return backend.makeTensorInfo(outShape, isComparison(op) ? 'bool' : 'float32', broadcastBinary(op, av, a.shape, bv, b.shape, outShape, native));
  });
}

function unaryKernel(name: string, f: (x: Float32Array, out: Float32Array, attrs: tf.NamedAttrMap) => void): void {
  replaceKernel(name, 'cpu', 'js', (original) => (args: KernelArgs) => {
    const backend = args.backend as CpuBackend;
    const x = args.inputs.x;
    const xv = x && floatValues(backend, x);
    if (!x || !xv) return callOriginal(name, original, args);
    const out = uninitialisedFloat32(xv.length);
    f(xv, out, args.attrs ?? {});
    return backend.makeTensorInfo(x.shape.slice(), 'float32', out);
  });
}

/**
 * Softmax over the last axis in one pass per row, with the same operations and roundings as TF.js's
 * composed kernel (max, float32 x − max, float32 exp, float64 sum rounded to float32, float32 division).
 */
function softmaxRows(x: Float32Array, out: Float32Array, n: number): void {
  for (let o = 0; o < x.length; o += n) {
    let m = x[o]!;
    for (let j = 1; j < n; j++) {
      const v = x[o + j]!;
      if (Number.isNaN(v) || v > m) m = v;
    }
    let sum = 0;
    for (let j = 0; j < n; j++) {
      out[o + j] = Math.exp(Math.fround(x[o + j]! - m));
      sum += out[o + j]!;
    }
    const s = Math.fround(sum);
    for (let j = 0; j < n; j++) out[o + j] = out[o + j]! / s;
  }
}

/**
 * Registers, for float32 on `cpu`: Add, Sub, Multiply, RealDiv, Maximum, Minimum and the comparisons
 * GreaterEqual, Greater, LessEqual, Less, Equal, NotEqual (bool out), all with broadcasting; Relu, Step,
 * Exp, Log, Log1p, Sigmoid, Tanh (bit-identical to TF.js's), Softmax (last axis), and Cast from bool/int32 to float32. With the addon's memory-bound loops (`native`)
 * the Add..RealDiv inner loops run in C++ (JS's loops convert every float32 to float64 and back), with
 * bit-identical results, and Neg, Abs, Sqrt, Square are replaced too. TF.js's own binary kernels index
 * every element through a modulo and a closure call, which made Maximum and GreaterEqual (the maxout
 * layer) a large part of a TwoPathCNN step (docs/engine.md has the measurements).
 */
export function registerElementwise(native?: NativeMemoryKernels): void {
  const binary: [string, Op][] = [
    ['Add', Op.Add],
    ['Sub', Op.Sub],
    ['Multiply', Op.Mul],
    ['RealDiv', Op.Div],
    ['Maximum', Op.Max],
    ['Minimum', Op.Min],
    ['GreaterEqual', Op.GreaterEqual],
    ['Greater', Op.Greater],
    ['LessEqual', Op.LessEqual],
    ['Less', Op.Less],
    ['Equal', Op.Equal],
    ['NotEqual', Op.NotEqual],
  ];
  for (const [name, op] of binary) binaryKernel(name, op, native);
  // TF.js's cpu Cast from bool or int32 to float32 keeps the Uint8Array/Int32Array under a float32 tensor,
  // which every float32 fast path here would then hand back to TF.js's slow kernels: convert once instead.
  replaceKernel('Cast', 'cpu', 'js', (original) => (args: KernelArgs) => {
    const backend = args.backend as CpuBackend;
    const x = args.inputs.x;
    const values = x && backend.data.get(x.dataId).values;
    const fromIntegers = x !== undefined && ((x.dtype === 'bool' && values instanceof Uint8Array) || (x.dtype === 'int32' && values instanceof Int32Array));
    if (!x || !fromIntegers || args.attrs?.dtype !== 'float32') return callOriginal('Cast', original, args);
    return backend.makeTensorInfo(x.shape.slice(), 'float32', new Float32Array(values as Uint8Array | Int32Array));
  });
  replaceKernel('Softmax', 'cpu', 'js', (original) => (args: KernelArgs) => {
    const backend = args.backend as CpuBackend;
    const logits = args.inputs.logits;
    const xv = logits && floatValues(backend, logits);
    const dim = args.attrs?.dim;
    const rank = logits?.shape.length ?? 0;
    const n = logits?.shape[rank - 1] ?? 0;
    if (!logits || !xv || (dim !== -1 && dim !== rank - 1) || n === 0) return callOriginal('Softmax', original, args);
    const out = uninitialisedFloat32(xv.length);
    softmaxRows(xv, out, n);
    return backend.makeTensorInfo(logits.shape.slice(), 'float32', out);
  });
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
  // Exp, Log, Log1p, Sigmoid, Tanh as TF.js computes them: the double function of the float32 value (the
  // sigmoid's expression in double), rounded to float32. TF.js's cpu kernels run every unary op through one
  // shared loop and closure, and V8's Math functions take 30–50 ns here: a sigmoid head with a binary
  // cross-entropy took 34 ms of a 3D U-Net step. With the addon, glibc's functions on both threads (the
  // same float32 results in every value tested, NativeMemoryKernels.transcendental); without it, a JS loop
  // per op (the same Math calls, so the same bits as TF.js's).
  const transcendental = native?.transcendental;
  const mathKernel = (name: string, op: number, loop: (x: Float32Array, out: Float32Array) => void) =>
    unaryKernel(name, transcendental === undefined ? loop : (x, out) => transcendental(op, x, out));
  mathKernel('Exp', 0, (x, out) => {
    for (let i = 0; i < x.length; i++) out[i] = Math.exp(x[i]!);
  });
  mathKernel('Log', 1, (x, out) => {
    for (let i = 0; i < x.length; i++) out[i] = Math.log(x[i]!);
  });
  mathKernel('Log1p', 2, (x, out) => {
    for (let i = 0; i < x.length; i++) out[i] = Math.log1p(x[i]!);
  });
  mathKernel('Sigmoid', 3, (x, out) => {
    for (let i = 0; i < x.length; i++) out[i] = 1 / (1 + Math.exp(-x[i]!));
  });
  mathKernel('Tanh', 4, (x, out) => {
    for (let i = 0; i < x.length; i++) out[i] = Math.tanh(x[i]!);
  });
  // Exact in float32, so only with the addon's loops (JS's would not beat TF.js's own by much).
  if (native !== undefined) {
    unaryKernel('Neg', (x, out) => native.unary(2, x, out, 0));
    unaryKernel('Abs', (x, out) => native.unary(3, x, out, 0));
    unaryKernel('Sqrt', (x, out) => native.unary(4, x, out, 0));
    unaryKernel('Square', (x, out) => native.unary(5, x, out, 0));
  }
}
