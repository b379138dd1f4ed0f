import * as tf from '@tensorflow/tfjs';
import { conv2dGeometry, conv3dGeometry, filterShapeOf, inShapeOf, outShapeOf, splitRegions, type ConvGeometry } from './convGeometry.js';
import { sizeOf } from './cpuBackend.js';
import { sumAxes } from './jsReduce.js';
import { sliceInto } from './jsSliceConcat.js';
import { callOriginal, replaceKernel, type KernelFunction } from './kernelRegistry.js';

type Args = Parameters<KernelFunction>[0];
type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

/** The part of TF.js's `wasm` backend (BackendWasm) that the composed kernels use. */
interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): tf.TypedArray;
  disposeData(dataId: tf.DataId): boolean;
}

/** Rows of the im2col matrix handled at once: keeps each temporary near 16 MB of wasm heap. */
const CHUNK_FLOATS = 4 * 1024 * 1024;

function heapFloats(backend: WasmBackend, t: tf.TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(t) as Float32Array;
}

function wasmKernel(name: string): KernelFunction {
  const k = tf.getKernel(name, 'wasm');
  if (k === undefined) throw new Error(`wasmConv: the wasm backend has no ${name} kernel`);
  return k.kernelFunc;
}

function matMul(backend: WasmBackend, a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean): tf.TensorInfo {
  return wasmKernel('BatchMatMul')({ inputs: { a, b }, backend, attrs: { transposeA, transposeB } }) as tf.TensorInfo;
}

/** Geometry padded to three spatial axes (2D convolutions get depth 1). */
function as3d(g: ConvGeometry): ConvGeometry {
  if (g.inSize.length === 3) return g;
  return {
    ...g,
    inSize: [1, ...g.inSize],
    outSize: [1, ...g.outSize],
    filterSize: [1, ...g.filterSize],
    strides: [1, ...g.strides],
    dilations: [1, ...g.dilations],
    padL: [0, ...g.padL],
    padR: [0, ...g.padR],
  };
}

/**
 * Walks the patch of each output row r0..r1 (row = one output position, batch included): for every
 * filter tap calls `tap(colOffset, xOffset)` with xOffset -1 where the tap falls in the padding.
 */
function forEachTap(g: ConvGeometry, r0: number, r1: number, tap: (col: number, x: number) => void): void {
  const [D, H, W] = g.inSize as [number, number, number];
  const [OD, OH, OW] = g.outSize as [number, number, number];
  const [FD, FH, FW] = g.filterSize as [number, number, number];
  const [sd, sh, sw] = g.strides as [number, number, number];
  const [dd, dh, dw] = g.dilations as [number, number, number];
  const [pd, ph, pw] = g.padL as [number, number, number];
  const Ci = g.inChannels;
  const K = FD * FH * FW * Ci;
  for (let r = r0; r < r1; r++) {
    let q = r;
    const ow = q % OW;
    q = (q - ow) / OW;
    const oh = q % OH;
    q = (q - oh) / OH;
    const od = q % OD;
    const n = (q - od) / OD;
    let col = (r - r0) * K;
    for (let kd = 0; kd < FD; kd++) {
      const d = od * sd - pd + kd * dd;
      const dIn = d >= 0 && d < D;
      for (let kh = 0; kh < FH; kh++) {
        const h = oh * sh - ph + kh * dh;
        const hIn = dIn && h >= 0 && h < H;
        for (let kw = 0; kw < FW; kw++, col += Ci) {
          const w = ow * sw - pw + kw * dw;
          tap(col, hIn && w >= 0 && w < W ? (((n * D + d) * H + h) * W + w) * Ci : -1);
        }
      }
    }
  }
}

function im2col(g: ConvGeometry, x: Float32Array, r0: number, r1: number, cols: Float32Array): void {
  const Ci = g.inChannels;
  forEachTap(g, r0, r1, (col, xi) => {
    if (xi < 0) cols.fill(0, col, col + Ci);
    else if (Ci === 1) cols[col] = x[xi]!;
    else for (let c = 0; c < Ci; c++) cols[col + c] = x[xi + c]!;
  });
}

function col2imAdd(g: ConvGeometry, cols: Float32Array, r0: number, r1: number, dx: Float32Array): void {
  const Ci = g.inChannels;
  forEachTap(g, r0, r1, (col, xi) => {
    if (xi >= 0) for (let c = 0; c < Ci; c++) dx[xi + c] = dx[xi + c]! + cols[col + c]!;
  });
}

function chunkRows(g: ConvGeometry): number {
  const K = sizeOf(g.filterSize) * g.inChannels;
  return Math.max(1, Math.floor(CHUNK_FLOATS / Math.max(K, g.outChannels)));
}

function forward(backend: WasmBackend, g3: ConvGeometry, x: tf.TensorInfo, filter: tf.TensorInfo, outShape: number[]): tf.TensorInfo {
  const K = sizeOf(g3.filterSize) * g3.inChannels;
  const Co = g3.outChannels;
  const rows = sizeOf(outShape) / Co;
  const out = backend.makeOutput(outShape, 'float32');
  const w = { ...filter, shape: [1, K, Co] };
  const step = chunkRows(g3);
  for (let r0 = 0; r0 < rows; r0 += step) {
    const r1 = Math.min(rows, r0 + step);
    const cols = backend.makeOutput([1, r1 - r0, K], 'float32');
    im2col(g3, heapFloats(backend, x), r0, r1, heapFloats(backend, cols));
    const y = matMul(backend, cols, w, false, false);
    heapFloats(backend, out).set(heapFloats(backend, y), r0 * Co);
    backend.disposeData(cols.dataId);
    backend.disposeData(y.dataId);
  }
  return out;
}

function backpropInput(backend: WasmBackend, g3: ConvGeometry, dy: tf.TensorInfo, filter: tf.TensorInfo, inShape: number[]): tf.TensorInfo {
  const K = sizeOf(g3.filterSize) * g3.inChannels;
  const Co = g3.outChannels;
  const rows = sizeOf(dy.shape) / Co;
  const dx = new Float32Array(sizeOf(inShape));
  const w = { ...filter, shape: [1, K, Co] };
  const step = chunkRows(g3);
  for (let r0 = 0; r0 < rows; r0 += step) {
    const r1 = Math.min(rows, r0 + step);
    const dyChunk = backend.makeOutput([1, r1 - r0, Co], 'float32');
    heapFloats(backend, dyChunk).set(heapFloats(backend, dy).subarray(r0 * Co, r1 * Co));
    const cols = matMul(backend, dyChunk, w, false, true);
    col2imAdd(g3, heapFloats(backend, cols), r0, r1, dx);
    backend.disposeData(dyChunk.dataId);
    backend.disposeData(cols.dataId);
  }
  const out = backend.makeOutput(inShape, 'float32');
  heapFloats(backend, out).set(dx);
  return out;
}

function backpropFilter(backend: WasmBackend, g3: ConvGeometry, x: tf.TensorInfo, dy: tf.TensorInfo, filterShape: number[]): tf.TensorInfo {
  const K = sizeOf(g3.filterSize) * g3.inChannels;
  const Co = g3.outChannels;
  const rows = sizeOf(dy.shape) / Co;
  const dw = new Float32Array(K * Co);
  const step = chunkRows(g3);
  for (let r0 = 0; r0 < rows; r0 += step) {
    const r1 = Math.min(rows, r0 + step);
    const cols = backend.makeOutput([1, r1 - r0, K], 'float32');
    im2col(g3, heapFloats(backend, x), r0, r1, heapFloats(backend, cols));
    const dyChunk = backend.makeOutput([1, r1 - r0, Co], 'float32');
    heapFloats(backend, dyChunk).set(heapFloats(backend, dy).subarray(r0 * Co, r1 * Co));
    const part = matMul(backend, cols, dyChunk, true, false);
    const pv = heapFloats(backend, part);
    for (let i = 0; i < dw.length; i++) dw[i] = dw[i]! + pv[i]!;
    backend.disposeData(cols.dataId);
    backend.disposeData(dyChunk.dataId);
    backend.disposeData(part.dataId);
  }
  const out = backend.makeOutput(filterShape, 'float32');
  heapFloats(backend, out).set(dw);
  return out;
}

/**
 * Stride-1 2D input gradient as XNNPACK's forward Conv2D of dy with the filter flipped in space and
 * with in/out channels swapped; undefined when the padding this needs would be negative.
 */
function backpropInputByConv(backend: WasmBackend, g: ConvGeometry, dy: tf.TensorInfo, filter: tf.TensorInfo): tf.TensorInfo | undefined {
  if (g.strides.some((s) => s !== 1)) return undefined;
  const pads = g.filterSize.map((f, i) => {
    const extent = (f - 1) * g.dilations[i]! + 1;
    return [extent - 1 - g.padL[i]!, extent - 1 - g.padR[i]!] as [number, number];
  });
  if (pads.some(([a, b]) => a < 0 || b < 0)) return undefined;
  const [FH, FW] = g.filterSize as [number, number];
  const Ci = g.inChannels;
  const Co = g.outChannels;
  const flipped = backend.makeOutput([FH, FW, Co, Ci], 'float32');
  const src = heapFloats(backend, filter);
  const dst = heapFloats(backend, flipped);
  for (let h = 0; h < FH; h++)
    for (let w = 0; w < FW; w++) {
      const s = (h * FW + w) * Ci * Co;
      const d = ((FH - 1 - h) * FW + (FW - 1 - w)) * Co * Ci;
      for (let i = 0; i < Ci; i++) for (let o = 0; o < Co; o++) dst[d + o * Ci + i] = src[s + i * Co + o]!;
    }
  const dx = wasmKernel('Conv2D')({
    inputs: { x: dy, filter: flipped },
    backend,
    attrs: { strides: 1, pad: [[0, 0], pads[0]!, pads[1]!, [0, 0]], dataFormat: 'NHWC', dilations: g.dilations as [number, number] },
  }) as tf.TensorInfo;
  backend.disposeData(flipped.dataId);
  return dx;
}

const float = (...ts: (tf.TensorInfo | undefined)[]): boolean => ts.every((t) => t !== undefined && t.dtype === 'float32');
const nhwc = (f: unknown): boolean => f === undefined || f === 'NHWC' || f === 'NDHWC';

/**
 * Registers on `wasm` the convolution kernels composed from its XNNPACK BatchMatMul and Conv2D:
 * Conv2DBackpropInput, Conv2DBackpropFilter (missing in stock wasm), Conv3D, Conv3DBackpropInputV2
 * (stock one is wrong) and Conv3DBackpropFilterV2, with any stride, padding and dilation. Also SplitV
 * (the gradient of concat) as contiguous-run copies on the heap: stock wasm slices rank-5 tensors element
 * by element (3.5 s of an 18 s 3D U-Net step). And Sum over any axes in one pass with float64 accumulation
 * (stock wasm transposes first: 1.1 s of that step, mostly the bias gradients).
 */
export function registerWasmConvolutions(): void {
  replaceKernel('Sum', 'wasm', 'wasm-composed', (original) => (args: Args) => {
    const backend = args.backend as WasmBackend;
    const x = args.inputs.x;
    if (!x || x.dtype !== 'float32' || sizeOf(x.shape) === 0) return callOriginal('Sum', original, args);
    const attrs = args.attrs ?? {};
    const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape);
    let [outShape] = tf.backend_util.computeOutAndReduceShapes(x.shape, axes);
    if (attrs.keepDims === true) outShape = tf.backend_util.expandShapeToKeepDim(outShape, axes);
    const sums = sumAxes(heapFloats(backend, x), x.shape, axes);
    const out = backend.makeOutput(outShape, 'float32');
    heapFloats(backend, out).set(sums);
    return out;
  });
  replaceKernel('SplitV', 'wasm', 'wasm-composed', (original) => (args: Args) => {
    const backend = args.backend as WasmBackend;
    const x = args.inputs.x;
    if (!x || x.dtype !== 'float32') return callOriginal('SplitV', original, args);
    const attrs = args.attrs ?? {};
    return splitRegions(x, attrs.axis as number, attrs.numOrSizeSplits as number[]).map(({ begin, size }) => {
      const out = backend.makeOutput(size, 'float32');
      // Views taken after makeOutput, which may grow (and so move) the heap.
      if (sizeOf(size) > 0) sliceInto(heapFloats(backend, x), x.shape, begin, size, heapFloats(backend, out));
      return out;
    });
  });
  replaceKernel('Conv2DBackpropInput', 'wasm', 'wasm-composed', (original) => (args: Args) => {
    const backend = args.backend as WasmBackend;
    const { dy, filter } = args.inputs;
    const attrs = args.attrs ?? {};
    if (!dy || !filter || !float(dy, filter) || !nhwc(attrs.dataFormat)) return callOriginal('Conv2DBackpropInput', original, args);
    const g = conv2dGeometry(attrs.inputShape as number[], filter.shape, attrs.strides as [number, number], (attrs.dilations ?? 1) as [number, number], attrs.pad as Pad, attrs.dimRoundingMode as Rounding);
    return backpropInputByConv(backend, g, dy, filter) ?? backpropInput(backend, as3d(g), dy, filter, inShapeOf(g));
  });
  replaceKernel('Conv2DBackpropFilter', 'wasm', 'wasm-composed', (original) => (args: Args) => {
    const backend = args.backend as WasmBackend;
    const { x, dy } = args.inputs;
    const attrs = args.attrs ?? {};
    if (!x || !dy || !float(x, dy) || !nhwc(attrs.dataFormat)) return callOriginal('Conv2DBackpropFilter', original, args);
    const g = conv2dGeometry(x.shape, attrs.filterShape as number[], attrs.strides as [number, number], (attrs.dilations ?? 1) as [number, number], attrs.pad as Pad, attrs.dimRoundingMode as Rounding);
    return backpropFilter(backend, as3d(g), x, dy, filterShapeOf(g));
  });
  replaceKernel('Conv3D', 'wasm', 'wasm-composed', (original) => (args: Args) => {
    const backend = args.backend as WasmBackend;
    const { x, filter } = args.inputs;
    const attrs = args.attrs ?? {};
    if (!x || !filter || !float(x, filter) || !nhwc(attrs.dataFormat)) return callOriginal('Conv3D', original, args);
    const g = conv3dGeometry(x.shape, filter.shape, attrs.strides as [number, number, number], (attrs.dilations ?? 1) as [number, number, number], attrs.pad as 'same');
    return forward(backend, g, x, filter, outShapeOf(g));
  });
  replaceKernel('Conv3DBackpropInputV2', 'wasm', 'wasm-composed', (original) => (args: Args) => {
    const backend = args.backend as WasmBackend;
    const { dy, filter } = args.inputs;
    const attrs = args.attrs ?? {};
    if (!dy || !filter || !float(dy, filter)) return callOriginal('Conv3DBackpropInputV2', original, args);
    const g = conv3dGeometry(attrs.inputShape as number[], filter.shape, attrs.strides as [number, number, number], (attrs.dilations ?? 1) as [number, number, number], attrs.pad as 'same');
    return backpropInput(backend, g, dy, filter, inShapeOf(g));
  });
  replaceKernel('Conv3DBackpropFilterV2', 'wasm', 'wasm-composed', (original) => (args: Args) => {
    const backend = args.backend as WasmBackend;
    const { x, dy } = args.inputs;
    const attrs = args.attrs ?? {};
    if (!x || !dy || !float(x, dy)) return callOriginal('Conv3DBackpropFilterV2', original, args);
    const g = conv3dGeometry(x.shape, attrs.filterShape as number[], attrs.strides as [number, number, number], (attrs.dilations ?? 1) as [number, number, number], attrs.pad as 'same');
    return backpropFilter(backend, g, x, dy, filterShapeOf(g));
  });
}
