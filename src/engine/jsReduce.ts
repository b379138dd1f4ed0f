import * as tf from '@tensorflow/tfjs';
import type { NativeMemoryKernels } from './nativeAddon.js';
import { floatValues, sizeOf, type CpuBackend } from './cpuBackend.js';
import { callOriginal, replaceKernel, type KernelArgs } from './kernelRegistry.js';


/**
 * Sums a row-major float32 array over `axes` without transposing: axes are grouped into alternating
 * kept/reduced blocks and the input is read once, in order, accumulating in float64.
 */
export function sumAxes(x: Float32Array, shape: readonly number[], axes: readonly number[]): Float64Array {
  return sumAxesWith(x, shape, axes, undefined) as Float64Array;
}

/** sumAxes, in the addon's loop when `native` is given (same order, float64 accumulation, float32 result). */
function sumAxesWith(x: Float32Array, shape: readonly number[], axes: readonly number[], native: NativeMemoryKernels | undefined): Float64Array | Float32Array {
  const reduced = new Set(axes);
  const dims: number[] = [];
  const isReduced: boolean[] = [];
  shape.forEach((d, i) => {
    if (d === 1) return;
    const r = reduced.has(i);
    const last = dims.length - 1;
    if (last >= 0 && isReduced[last] === r) dims[last]! *= d;
    else {
      dims.push(d);
      isReduced.push(r);
    }
  });
  let outSize = 1;
  dims.forEach((d, i) => {
    if (!isReduced[i]) outSize *= d;
  });
  const m = dims.length;
  if (native !== undefined && m > 0) {
    const out = new Float32Array(outSize);
    native.sum(x, out, dims, isReduced.map((r) => (r ? 1 : 0)));
    return out;
  }
  if (m === 2 && isReduced[0] && !isReduced[1]) return sumColumns(x, dims[0]!, dims[1]!);
  const acc = new Float64Array(outSize);
  if (m === 0) {
    if (x.length > 0) acc[0] = x[0]!;
    return acc;
  }
  const oStr = new Array<number>(m);
  let s = 1;
  for (let i = m - 1; i >= 0; i--) {
    oStr[i] = isReduced[i] ? 0 : s;
    if (!isReduced[i]) s *= dims[i]!;
  }
  const n = dims[m - 1]!;
  const innerReduced = isReduced[m - 1]!;
  const outer = x.length / n;
  const idx = new Array<number>(m).fill(0);
  let o = 0;
  for (let r = 0, ix = 0; r < outer; r++, ix += n) {
    if (innerReduced) {
      let t = 0;
      for (let j = 0; j < n; j++) t += x[ix + j]!;
      acc[o] = acc[o]! + t;
    } else {
      for (let j = 0; j < n; j++) acc[o + j] = acc[o + j]! + x[ix + j]!;
    }
    for (let k = m - 2; k >= 0; k--) {
      idx[k]!++;
      o += oStr[k]!;
      if (idx[k]! < dims[k]!) break;
      o -= idx[k]! * oStr[k]!;
      idx[k] = 0;
    }
  }
  return acc;
}

/**
 * Column sums of a [rows, cols] array (a bias gradient), eight columns at a time in local variables, which V8
 * keeps in registers: the same additions in the same order as the general loop (each sum starts at 0 and
 * adds its column top to bottom), 5× faster on [131072, 16].
 */
function sumColumns(x: Float32Array, rows: number, cols: number): Float64Array {
  const acc = new Float64Array(cols);
  const end = rows * cols;
  let j = 0;
  for (; j + 8 <= cols; j += 8) {
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
    for (let i = j; i < end; i += cols) {
      a0 += x[i]!;
      a1 += x[i + 1]!;
      a2 += x[i + 2]!;
      a3 += x[i + 3]!;
      a4 += x[i + 4]!;
      a5 += x[i + 5]!;
      a6 += x[i + 6]!;
      a7 += x[i + 7]!;
    }
    acc.set([a0, a1, a2, a3, a4, a5, a6, a7], j);
  }
  for (; j < cols; j++) {
    let a = 0;
    for (let i = j; i < end; i += cols) a += x[i]!;
    acc[j] = a;
  }
  return acc;
}

/** Registers Sum for float32 on `cpu` (its loop in the addon when `native` is given). */
export function registerReductions(native?: NativeMemoryKernels): void {
  replaceKernel('Sum', 'cpu', 'js', (original) => (args: KernelArgs) => {
    const backend = args.backend as CpuBackend;
    const x = args.inputs.x;
    const xv = x && floatValues(backend, x);
    if (!x || !xv) return callOriginal('Sum', original, args);
    const attrs = args.attrs ?? {};
    const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape);
    let [outShape] = tf.backend_util.computeOutAndReduceShapes(x.shape, axes);
    if (attrs.keepDims === true) outShape = tf.backend_util.expandShapeToKeepDim(outShape, axes);
    if (sizeOf(x.shape) === 0) return callOriginal('Sum', original, args);
    const sum = sumAxesWith(xv, x.shape, axes, native);
    return backend.makeTensorInfo(outShape, 'float32', sum instanceof Float32Array ? sum : Float32Array.from(sum));
  });
}
