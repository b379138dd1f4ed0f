import { splitRegions } from './convGeometry.js';
import * as tf from '@tensorflow/tfjs';
import type { NativeMemoryKernels } from './nativeAddon.js';
import { floatValues, numericValues, sizeOf, type CpuBackend, type NumericArray } from './cpuBackend.js';
import { callOriginal, replaceKernel, type KernelArgs } from './kernelRegistry.js';
import { uninitialisedFloat32 } from './outputArrays.js';


function copyRun<T extends NumericArray>(src: T, from: number, dst: T, to: number, n: number): void {
  if (n >= 64) {
    (dst as Float32Array).set((src as Float32Array).subarray(from, from + n), to);
  } else {
    for (let i = 0; i < n; i++) dst[to + i] = src[from + i]!;
  }
}

/**
 * Copies the box `begin`..`begin + size` of a row-major tensor of `shape` into `dst` (from `dstOffset`),
 * as contiguous runs: the trailing axes that are taken whole are merged into one run.
 */
export function sliceInto<T extends NumericArray>(
  src: T,
  shape: readonly number[],
  begin: readonly number[],
  size: readonly number[],
  dst: T,
  dstOffset = 0,
  native?: NativeMemoryKernels,
): void {
  const rank = shape.length;
  if (rank === 0) {
    dst[dstOffset] = src[0]!;
    return;
  }
  if (sizeOf(size) === 0) return;
  const strides = new Array<number>(rank);
  strides[rank - 1] = 1;
  for (let i = rank - 2; i >= 0; i--) strides[i] = strides[i + 1]! * shape[i + 1]!;
  let k = rank - 1;
  while (k > 0 && size[k] === shape[k] && begin[k] === 0) k--;
  const run = size[k]! * strides[k]!;
  let offset = 0;
  for (let i = 0; i < rank; i++) offset += begin[i]! * strides[i]!;
  if (k === 0) {
    copyRun(src, offset, dst, dstOffset, run);
    return;
  }
  let outer = 1;
  for (let i = 0; i < k; i++) outer *= size[i]!;
  // Axes before k taken whole: the runs are evenly spaced, one strided copy in the addon.
  if (native !== undefined && src instanceof Float32Array && dst instanceof Float32Array && size.slice(0, k).every((d, i) => d === shape[i])) {
    native.copyRuns(src, offset, strides[k - 1]!, dst, dstOffset, run, run, outer);
    return;
  }
  const idx = new Array<number>(k).fill(0);
  let to = dstOffset;
  for (let o = 0; o < outer; o++) {
    copyRun(src, offset, dst, to, run);
    to += run;
    for (let a = k - 1; a >= 0; a--) {
      idx[a]!++;
      offset += strides[a]!;
      if (idx[a]! < size[a]!) break;
      offset -= idx[a]! * strides[a]!;
      idx[a] = 0;
    }
  }
}

function slice(backend: CpuBackend, x: tf.TensorInfo, xv: NumericArray, begin: number[], size: number[], native: NativeMemoryKernels | undefined): tf.TensorInfo {
  const n = sizeOf(size);
  const out = xv instanceof Float32Array ? uninitialisedFloat32(n) : xv instanceof Int32Array ? new Int32Array(n) : new Uint8Array(n);
  sliceInto(xv, x.shape, begin, size, out, 0, native);
  return backend.makeTensorInfo(size, x.dtype, out);
}

/**
 * Registers Slice (float32, int32, bool: TF.js's own slices int32 label maps element by element:
 * docs/engine.md), SplitV and Concat (float32) on `cpu` as contiguous-run copies; with the
 * addon's loops (`native`) evenly spaced float32 runs are copied by memcpy in C++ (channel-axis runs are short).
 */
export function registerSliceConcat(native?: NativeMemoryKernels): void {
  replaceKernel('Slice', 'cpu', 'js', (original) => (args: KernelArgs) => {
    const backend = args.backend as CpuBackend;
    const x = args.inputs.x;
    const xv = x && numericValues(backend, x);
    if (!x || !xv) return callOriginal('Slice', original, args);
    const attrs = args.attrs ?? {};
    const [begin, size] = tf.slice_util.parseSliceParams(x, attrs.begin as number[], attrs.size as number[]) as [number[], number[]];
    tf.slice_util.assertParamsValid(x, begin, size);
    return slice(backend, x, xv, begin, size, native);
  });

  replaceKernel('SplitV', 'cpu', 'js', (original) => (args: KernelArgs) => {
    const backend = args.backend as CpuBackend;
    const x = args.inputs.x;
    const xv = x && floatValues(backend, x);
    if (!x || !xv) return callOriginal('SplitV', original, args);
    const attrs = args.attrs ?? {};
    return splitRegions(x, attrs.axis as number, attrs.numOrSizeSplits as number[]).map(({ begin, size }) => {
      return slice(backend, x, xv, begin, size, native);
    });
  });

  replaceKernel('Concat', 'cpu', 'js', (original) => (args: KernelArgs) => {
    const backend = args.backend as CpuBackend;
    const all = Object.values(args.inputs).filter((t): t is tf.TensorInfo => t !== undefined);
    const attrs = args.attrs ?? {};
    const first = all[0];
    if (first === undefined) return callOriginal('Concat', original, args);
    const axis = tf.util.parseAxisParam(attrs.axis as number, first.shape)[0]!;
    const values = all.map((t) => floatValues(backend, t));
    if (values.some((v) => v === undefined)) return callOriginal('Concat', original, args);
    const outShape = tf.backend_util.computeOutShape(all.map((t) => t.shape), axis);
    const out = uninitialisedFloat32(sizeOf(outShape));
    const outer = sizeOf(outShape.slice(0, axis));
    const row = sizeOf(outShape.slice(axis));
    let column = 0;
    all.forEach((t, i) => {
      const v = values[i]!;
      const inner = sizeOf(t.shape.slice(axis));
      if (inner > 0 && native !== undefined) {
        native.copyRuns(v, 0, inner, out, column, row, inner, outer);
      } else if (inner > 0) {
        for (let o = 0; o < outer; o++) copyRun(v, o * inner, out, o * row + column, inner);
      }
      column += inner;
    });
    return backend.makeTensorInfo(outShape, 'float32', out);
  });
}
