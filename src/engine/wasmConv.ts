import * as tf from '@tensorflow/tfjs';
import { conv2dGeometry, conv3dGeometry, filterShapeOf, inShapeOf, splitRegions, validRange, type ConvGeometry } from './convGeometry.js';
import { sizeOf } from './cpuBackend.js';
import { FUSED_CONV2D_KERNEL, FUSED_CONV3D_KERNEL, RELU_GRAD_KERNEL } from './fusedConvolution.js';
import { sumAxes } from './jsReduce.js';
import { sliceInto } from './jsSliceConcat.js';
import { callOriginal, replaceKernel, type KernelFunction, type KernelArgs } from './kernelRegistry.js';
import { filterGradientTakes, geometryInts, runFilterGradient, runReluGrad, wasmHeapMemory, wasmKernelInstance, type KernelGeometry, type WasmKernelInstance } from './wasmSimdKernels.js';

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

/** The part of TF.js's `wasm` backend (BackendWasm) that the composed kernels use. */
export interface WasmBackend {
  /** With `memoryOffset`: a tensor over heap memory that something else owns (see heapView). */
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): tf.TypedArray;
  disposeData(dataId: tf.DataId): boolean;
  incRef(dataId: tf.DataId): void;
  dataIdMap: { get(dataId: tf.DataId): { id: number; memoryOffset: number } | undefined; delete(dataId: tf.DataId): boolean };
  wasm: { tfjs: { disposeData(id: number): void } };
}

/**
 * Size of the temporaries (in floats) that the composed kernels work through at once: output rows per
 * chunk are chosen to keep each near 16 MB of wasm heap. `filterGradByViews`: filter gradients with unit
 * strides by heap views (backpropFilterByViews), and of windows that tile the input by one transpose
 * (backpropFilterByPatches), rather than by gathering each tap. `forwardByViews`: 3D convolutions with unit
 * depth stride (and so the input gradients) on heap views (forwardByDepthTaps). `viewFloats`: the most
 * the view filter gradient's temporaries may take (its padded copies, unchunked: 384 MB of the wasm heap's
 * 4 GB); beyond it the gathers' chunks run. `filterGradKernel`: filter gradients by gendice's own wasm
 * SIMD kernel (wasmSimdKernels.ts) wherever it takes the geometry, before any of the composed paths;
 * `reluGradKernel`: ReLU gradients by its one-pass kernel rather than Step and Multiply.
 * Exported for tests, which shrink the chunks to exercise their boundaries on small tensors, and run the
 * gathers on unit strides too.
 */
export const wasmConvTuning = { chunkFloats: 4 * 1024 * 1024, filterGradByViews: true, filterGradKernel: true, forwardByViews: true, reluGradKernel: true, viewFloats: 96 * 1024 * 1024 };

export function heapFloats(backend: WasmBackend, t: tf.TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(t) as Float32Array;
}

/**
 * The whole wasm heap as floats, and the offsets (in floats) of the given tensors on it. Valid until the
 * next allocation, which may grow (and so move) the heap. Copies between tensors are then
 * `heap.copyWithin`, a memmove with no view allocated per run.
 */
function onHeap(backend: WasmBackend, ...ts: tf.TensorInfo[]): { heap: Float32Array; at: number[] } {
  const views = ts.map((t) => heapFloats(backend, t));
  return { heap: new Float32Array(views[0]!.buffer), at: views.map((v) => v.byteOffset / 4) };
}

function wasmKernel(name: string): KernelFunction {
  const k = tf.getKernel(name, 'wasm');
  if (k === undefined) throw new Error(`wasmConv: the wasm backend has no ${name} kernel`);
  return k.kernelFunc;
}

/**
 * XNNPACK's matrix product. Only the plain form is fast: with `transposeA`, `transposeB` or a batch above
 * one, TF.js's wasm BatchMatMul takes a scalar path about 10× slower (docs/engine.md), so callers lay their
 * operands out for `a × b`.
 */
function matMul(backend: WasmBackend, a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
  return wasmKernel('BatchMatMul')({ inputs: { a, b }, backend, attrs: { transposeA: false, transposeB: false } }) as tf.TensorInfo;
}

function dispose(backend: WasmBackend, ...ts: tf.TensorInfo[]): void {
  for (const t of ts) backend.disposeData(t.dataId);
}

/**
 * A tensor of `shape` over the heap memory of `of`, `offsetFloats` in: no copy. The wasm kernels see it as
 * any tensor (they look tensors up by id). Release it with releaseView, never disposeData, which would free
 * memory the view does not own; `of` must outlive it.
 */
function heapView(backend: WasmBackend, of: tf.TensorInfo, offsetFloats: number, shape: number[]): tf.TensorInfo {
  const data = backend.dataIdMap.get(of.dataId);
  if (data === undefined) throw new Error('wasmConv: heapView of a tensor that is not on the wasm backend');
  return backend.makeOutput(shape, 'float32', data.memoryOffset + offsetFloats * 4);
}

function releaseView(backend: WasmBackend, view: tf.TensorInfo): void {
  const data = backend.dataIdMap.get(view.dataId);
  if (data === undefined) return;
  backend.wasm.tfjs.disposeData(data.id);
  backend.dataIdMap.delete(view.dataId);
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

/** A 3D geometry's sizes as plain numbers: input, output, filter, strides, dilations, left padding. */
function dims3(g: ConvGeometry) {
  const [D, H, W] = g.inSize as [number, number, number];
  const [OD, OH, OW] = g.outSize as [number, number, number];
  const [FD, FH, FW] = g.filterSize as [number, number, number];
  const [sd, sh, sw] = g.strides as [number, number, number];
  const [dd, dh, dw] = g.dilations as [number, number, number];
  const [pd, ph, pw] = g.padL as [number, number, number];
  return { N: g.batch, D, H, W, OD, OH, OW, FD, FH, FW, sd, sh, sw, dd, dh, dw, pd, ph, pw, Ci: g.inChannels, Co: g.outChannels };
}

/**
 * Walks the patch of each output row r0..r1 (row = one output position, batch included): for every
 * filter tap calls `tap(colOffset, xOffset)` with xOffset -1 where the tap falls in the padding.
 */
function forEachTap(g: ConvGeometry, r0: number, r1: number, tap: (col: number, x: number) => void): void {
  const { D, H, W, OD, OH, OW, FD, FH, FW, sd, sh, sw, dd, dh, dw, pd, ph, pw, Ci } = dims3(g);
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

function col2imAdd(g: ConvGeometry, cols: Float32Array, r0: number, r1: number, dx: Float32Array): void {
  const Ci = g.inChannels;
  forEachTap(g, r0, r1, (col, xi) => {
    if (xi >= 0) for (let c = 0; c < Ci; c++) dx[xi + c] = dx[xi + c]! + cols[col + c]!;
  });
}

/** XNNPACK's Conv2D of a depth tap's input slices with its filter slice, over g's height and width. */
function depthTapConv2d(backend: WasmBackend, g: ConvGeometry, x: tf.TensorInfo, filter: tf.TensorInfo): tf.TensorInfo {
  return wasmKernel('Conv2D')({
    inputs: { x, filter },
    backend,
    attrs: {
      strides: [g.strides[1]!, g.strides[2]!],
      pad: [[0, 0], [g.padL[1]!, g.padR[1]!], [g.padL[2]!, g.padR[2]!], [0, 0]],
      dataFormat: 'NHWC',
      dilations: [g.dilations[1]!, g.dilations[2]!],
    },
  }) as tf.TensorInfo;
}

/**
 * 3D convolution with unit depth stride, one XNNPACK Conv2D per depth tap kd, with no copies in JS: the
 * tap's input is a view (heapView) of x from the first depth slice it reads on, through the batch's later
 * images (a few slices between images are convolved and not used), its filter a view of the kd slice. The
 * tap's output slices are then copied into the output slices they reach first, and added (wasm's Add:
 * XNNPACK, both threads) into those an earlier tap reached, in runs of slices; slices no tap reaches are
 * zeros. So each output slice is the sum of its taps' slices in the order of kd, as in the gathering path
 * (forwardByDepthGathers), and one tap's output is alive at a time. Any stride and dilation over height and
 * width (XNNPACK's), dilation in depth.
 */
function forwardByDepthTaps(backend: WasmBackend, g: ConvGeometry, x: tf.TensorInfo, filter: tf.TensorInfo): tf.TensorInfo {
  if (g.strides[0] !== 1 || !wasmConvTuning.forwardByViews) return forwardByDepthGathers(backend, g, x, filter);
  const { N, D, H, W, OD, OH, OW, FD, FH, FW, Ci, Co } = dims3(g);
  const inSlice = H * W * Ci;
  const outSlice = OH * OW * Co;
  const out = backend.makeOutput([N, OD, OH, OW, Co], 'float32');
  const reached = new Uint8Array(OD); // by an earlier tap (the same slices in every image)
  for (let kd = 0; kd < FD; kd++) {
    const [lo, hi] = validRange(D, OD, 1, g.padL[0]!, kd * g.dilations[0]!);
    if (hi === lo) continue;
    const d0 = lo - g.padL[0]! + kd * g.dilations[0]!;
    const xv = heapView(backend, x, d0 * inSlice, [(N - 1) * D + hi - lo, H, W, Ci]);
    const fv = heapView(backend, filter, kd * FH * FW * Ci * Co, [FH, FW, Ci, Co]);
    const y = depthTapConv2d(backend, g, xv, fv);
    releaseView(backend, xv);
    releaseView(backend, fv);
    for (let n = 0; n < N; n++)
      for (let a = lo; a < hi; ) {
        let b = a + 1;
        while (b < hi && reached[b] === reached[a]) b++;
        const len = (b - a) * outSlice;
        const ySrc = (n * D + a - lo) * outSlice;
        const oDst = (n * OD + a) * outSlice;
        if (reached[a] === 0) {
          const { heap, at } = onHeap(backend, out, y);
          heap.copyWithin(at[0]! + oDst, at[1]! + ySrc, at[1]! + ySrc + len);
        } else {
          const ov = heapView(backend, out, oDst, [len]);
          const yv = heapView(backend, y, ySrc, [len]);
          const sum = wasmKernel('Add')({ inputs: { a: ov, b: yv }, backend }) as tf.TensorInfo;
          releaseView(backend, ov);
          releaseView(backend, yv);
          const { heap, at } = onHeap(backend, out, sum);
          heap.copyWithin(at[0]! + oDst, at[1]!, at[1]! + len);
          dispose(backend, sum);
        }
        a = b;
      }
    dispose(backend, y);
    reached.fill(1, lo, hi);
  }
  const { heap, at } = onHeap(backend, out);
  for (let n = 0; n < N; n++)
    for (let od = 0; od < OD; od++) if (reached[od] === 0) heap.fill(0, at[0]! + (n * OD + od) * outSlice, at[0]! + (n * OD + od + 1) * outSlice);
  return out;
}

/**
 * 3D convolution for any depth stride, one XNNPACK Conv2D per depth tap kd: the input depth slices that
 * tap reads are gathered (whole-slice copies) into a batch of 2D images, convolved with the filter's kd
 * slice over height and width (strides, dilations and padding there handled by XNNPACK), and added in JS
 * into the output slices they belong to. Any stride, padding and dilation.
 */
function forwardByDepthGathers(backend: WasmBackend, g: ConvGeometry, x: tf.TensorInfo, filter: tf.TensorInfo): tf.TensorInfo {
  const { N, D, H, W, OD, OH, OW, FD, FH, FW, Ci, Co } = dims3(g);
  const inSlice = H * W * Ci;
  const outSlice = OH * OW * Co;
  const tapFilter = FH * FW * Ci * Co;
  const out = backend.makeOutput([N, OD, OH, OW, Co], 'float32');
  heapFloats(backend, out).fill(0);
  for (let kd = 0; kd < FD; kd++) {
    const [lo, hi] = validRange(D, OD, g.strides[0]!, g.padL[0]!, kd * g.dilations[0]!);
    const depth = hi - lo;
    if (depth === 0) continue;
    const xk = backend.makeOutput([N * depth, H, W, Ci], 'float32');
    const fk = backend.makeOutput([FH, FW, Ci, Co], 'float32');
    {
      const { heap, at } = onHeap(backend, x, xk, filter, fk);
      for (let n = 0; n < N; n++)
        for (let od = lo; od < hi; od++) {
          const d = od * g.strides[0]! - g.padL[0]! + kd * g.dilations[0]!;
          const src = at[0]! + (n * D + d) * inSlice;
          heap.copyWithin(at[1]! + (n * depth + od - lo) * inSlice, src, src + inSlice);
        }
      heap.copyWithin(at[3]!, at[2]! + kd * tapFilter, at[2]! + (kd + 1) * tapFilter);
    }
    const yk = depthTapConv2d(backend, g, xk, fk);
    const o = heapFloats(backend, out);
    const y = heapFloats(backend, yk);
    for (let n = 0; n < N; n++)
      for (let od = lo; od < hi; od++) {
        const oBase = (n * OD + od) * outSlice;
        const yBase = (n * depth + od - lo) * outSlice;
        for (let i = 0; i < outSlice; i++) o[oBase + i] = o[oBase + i]! + y[yBase + i]!;
      }
    dispose(backend, xk, fk, yk);
  }
  return out;
}

/**
 * Input gradient of a convolution with unit strides, as the forward convolution of dy with the filter
 * flipped in space and its channels swapped (padding extent-1-pad); undefined when a stride is not 1 or
 * that padding would be negative. 2D runs on XNNPACK's Conv2D directly, 3D through forwardByDepthTaps.
 */
function backpropInputByConv(backend: WasmBackend, g: ConvGeometry, dy: tf.TensorInfo, filter: tf.TensorInfo): tf.TensorInfo | undefined {
  if (g.strides.some((s) => s !== 1)) return undefined;
  const extent = g.filterSize.map((f, i) => (f - 1) * g.dilations[i]! + 1);
  const padL = extent.map((e, i) => e - 1 - g.padL[i]!);
  const padR = extent.map((e, i) => e - 1 - g.padR[i]!);
  if ([...padL, ...padR].some((p) => p < 0)) return undefined;
  const taps = sizeOf(g.filterSize);
  const Ci = g.inChannels;
  const Co = g.outChannels;
  const flipped = backend.makeOutput([...g.filterSize, Co, Ci], 'float32');
  const src = heapFloats(backend, filter);
  const dst = heapFloats(backend, flipped);
  // Taps are laid out row-major over the spatial axes, so flipping every axis reverses the tap index.
  for (let t = 0; t < taps; t++) {
    const s = t * Ci * Co;
    const d = (taps - 1 - t) * Co * Ci;
    for (let i = 0; i < Ci; i++) for (let o = 0; o < Co; o++) dst[d + o * Ci + i] = src[s + i * Co + o]!;
  }
  let dx: tf.TensorInfo;
  if (g.inSize.length === 2) {
    dx = wasmKernel('Conv2D')({
      inputs: { x: dy, filter: flipped },
      backend,
      attrs: { strides: 1, pad: [[0, 0], [padL[0]!, padR[0]!], [padL[1]!, padR[1]!], [0, 0]], dataFormat: 'NHWC', dilations: g.dilations as [number, number] },
    }) as tf.TensorInfo;
  } else {
    const transposed: ConvGeometry = {
      ...g,
      inChannels: Co,
      outChannels: Ci,
      inSize: g.outSize,
      outSize: g.inSize,
      padL,
      padR,
    };
    dx = forwardByDepthTaps(backend, transposed, dy, flipped);
  }
  dispose(backend, flipped);
  return dx;
}

/** The [K, Co] filter (K = taps · Ci) transposed to [1, Co, K], the right operand of dy × filterᵀ. */
function transposedFilter(backend: WasmBackend, filter: tf.TensorInfo, K: number, Co: number): tf.TensorInfo {
  const wT = backend.makeOutput([1, Co, K], 'float32');
  // Views taken after makeOutput, which may grow (and so move) the heap.
  const w = heapFloats(backend, filter);
  const t = heapFloats(backend, wT);
  for (let k = 0; k < K; k++) for (let o = 0; o < Co; o++) t[o * K + k] = w[k * Co + o]!;
  return wT;
}

/**
 * Input gradient for any stride: dy × filterᵀ (XNNPACK matmul, the filter transposed once in JS) gives
 * every row's patch gradient, which col2im adds into dx.
 */
function backpropInput(backend: WasmBackend, g3: ConvGeometry, dy: tf.TensorInfo, filter: tf.TensorInfo, inShape: number[]): tf.TensorInfo {
  if (tilesInput(g3)) return backpropInputByTiles(backend, g3, dy, filter, inShape);
  const K = sizeOf(g3.filterSize) * g3.inChannels;
  const Co = g3.outChannels;
  const rows = sizeOf(dy.shape) / Co;
  const dx = new Float32Array(sizeOf(inShape));
  const wT = transposedFilter(backend, filter, K, Co);
  const step = Math.max(1, Math.floor(wasmConvTuning.chunkFloats / Math.max(K, Co)));
  for (let r0 = 0; r0 < rows; r0 += step) {
    const r1 = Math.min(rows, r0 + step);
    const dyChunk = backend.makeOutput([1, r1 - r0, Co], 'float32');
    {
      const { heap, at } = onHeap(backend, dy, dyChunk);
      heap.copyWithin(at[1]!, at[0]! + r0 * Co, at[0]! + r1 * Co);
    }
    const cols = matMul(backend, dyChunk, wT);
    col2imAdd(g3, heapFloats(backend, cols), r0, r1, dx);
    dispose(backend, dyChunk, cols);
  }
  dispose(backend, wT);
  const out = backend.makeOutput(inShape, 'float32');
  heapFloats(backend, out).set(dx);
  return out;
}

/**
 * Input gradient of a convolution whose windows tile the input (tilesInput: the transposed convolutions'
 * 2×2(×2) upsampling runs here): dy [N·OD·OH·OW, Co] × filterᵀ [Co, FD·FH·FW·Ci] (XNNPACK's matmul) gives
 * each output position's patch, and the patches are a permutation of dx, so col2im's additions become two
 * transposes of rank 4 (the first skipped when FD is 1): [N·OD, OH·OW, FD, FH·FW·Ci] to [N·OD, FD, OH·OW, ...],
 * then [N·OD·FD·OH, OW, FH, FW·Ci] to [N·OD·FD·OH, FH, OW, FW·Ci], which is dx [N, D, H, W, Ci]. Every dx
 * element is one product's value, as in col2im (which adds it to zero).
 */
function backpropInputByTiles(backend: WasmBackend, g3: ConvGeometry, dy: tf.TensorInfo, filter: tf.TensorInfo, inShape: number[]): tf.TensorInfo {
  const { N, OD, OH, OW, FD, FH, FW, Ci, Co } = dims3(g3);
  const K = FD * FH * FW * Ci;
  const wT = transposedFilter(backend, filter, K, Co);
  const patches = matMul(backend, { ...dy, shape: [1, N * OD * OH * OW, Co] }, wT);
  dispose(backend, wT);
  const transpose = (t: tf.TensorInfo, shape: number[]) =>
    wasmKernel('Transpose')({ inputs: { x: { ...t, shape } }, backend, attrs: { perm: [0, 2, 1, 3] } }) as tf.TensorInfo;
  const depthPlaced = FD === 1 ? patches : transpose(patches, [N * OD, OH * OW, FD, FH * FW * Ci]);
  if (depthPlaced !== patches) dispose(backend, patches);
  const dx = transpose(depthPlaced, [N * OD * FD * OH, OW, FH, FW * Ci]);
  dispose(backend, depthPlaced);
  return { ...dx, shape: inShape };
}

/**
 * Filter gradient of a convolution whose windows tile the input exactly (stride = filter size, no padding,
 * no dilation, nothing left over: the U-Nets' 2×2(×2) downsampling): x's patches are a permutation of x.
 * Two transposes of rank 3 and 4 (XNNPACK's; TF.js's wasm transposes of higher rank take a slow generic
 * loop, 416 against 24 ms measured), x as [N·OD, FD, OH·FH·OW·FW·Ci] to [FD, N·OD, ...] (skipped when FD
 * is 1), then as [FD·N·OD·OH, FH, OW, FW·Ci] to [FH, FW·Ci, FD·N·OD·OH, OW], give the patches as rows
 * (kh, kw, ci, kd) over the output positions; one product with dy [N·OD·OH·OW, Co] gives their gradients,
 * which are reordered to DHWIO.
 */
function tilesInput(g3: ConvGeometry): boolean {
  return g3.filterSize.every((f, i) => f === g3.strides[i] && g3.dilations[i] === 1 && g3.padL[i] === 0 && g3.inSize[i] === g3.outSize[i]! * f);
}

function backpropFilterByPatches(backend: WasmBackend, g3: ConvGeometry, x: tf.TensorInfo, dy: tf.TensorInfo, filterShape: number[]): tf.TensorInfo {
  const { N, OD, OH, OW, FD, FH, FW, Ci, Co } = dims3(g3);
  const m = N * OD * OH * OW;
  const transpose = (t: tf.TensorInfo, shape: number[], perm: number[]) =>
    wasmKernel('Transpose')({ inputs: { x: { ...t, shape } }, backend, attrs: { perm } }) as tf.TensorInfo;
  const depthFirst = FD === 1 ? x : transpose(x, [N * OD, FD, OH * FH * OW * FW * Ci], [1, 0, 2]);
  const patches = transpose(depthFirst, [FD * N * OD * OH, FH, OW, FW * Ci], [1, 3, 0, 2]);
  if (depthFirst !== x) dispose(backend, depthFirst);
  const rows = matMul(backend, { ...patches, shape: [1, FH * FW * Ci * FD, m] }, { ...dy, shape: [1, m, Co] });
  dispose(backend, patches);
  const out = backend.makeOutput(filterShape, 'float32');
  const src = heapFloats(backend, rows);
  const dst = heapFloats(backend, out);
  for (let kd = 0; kd < FD; kd++)
    for (let k = 0; k < FH * FW * Ci; k++) dst.set(src.subarray((k * FD + kd) * Co, (k * FD + kd + 1) * Co), (kd * FH * FW * Ci + k) * Co);
  dispose(backend, rows);
  return out;
}

/**
 * Filter gradient with unit strides, no gather per tap. x goes once to channels-first and zero-padded,
 * xpad [Ci, N, Dp, Hp, Wp] (XNNPACK's Transpose, then wasm's PadV2, with one spare block of zeros at the
 * end), and dy once to dyPad [N, Dp, Hp, Wp, Co], the output at the same grid positions and zeros on the rest.
 * On that grid, output position p reads tap t's input at p + shift(t), so the tap's [Ci, Co] gradient is
 * the matrix product of xpad viewed from shift(t) on, [Ci, N·Dp·Hp·Wp] (heapView: no copy), with dyPad:
 * the positions that are not outputs meet dy's zeros. dyPad is the product's right operand, which XNNPACK
 * packs once and caches by tensor id for all taps. Each product is one XNNPACK call, so the result does not
 * depend on the thread count. Memory: one padded copy of x and of dy.
 */
/** The grid of backpropFilterByViews (unit strides): the input with its left padding and every position a tap reads. */
function viewGrid(g3: ConvGeometry): { Dp: number; Hp: number; Wp: number; floats: number } {
  const { N, D, H, W, OD, OH, OW, FD, FH, FW, dd, dh, dw, pd, ph, pw, Ci, Co } = dims3(g3);
  const Dp = Math.max(D + pd, OD + (FD - 1) * dd);
  const Hp = Math.max(H + ph, OH + (FH - 1) * dh);
  const Wp = Math.max(W + pw, OW + (FW - 1) * dw);
  const grid = Dp * Hp * Wp;
  // x channels-first, x padded (with its spare block) and dy padded, at their peak.
  return { Dp, Hp, Wp, floats: N * D * H * W * Ci + (N + 1) * grid * Ci + N * grid * Co };
}

function backpropFilterByViews(backend: WasmBackend, g3: ConvGeometry, x: tf.TensorInfo, dy: tf.TensorInfo, filterShape: number[]): tf.TensorInfo {
  const { N, D, H, W, OD, OH, OW, FD, FH, FW, dd, dh, dw, pd, ph, pw, Ci, Co } = dims3(g3);
  const { Dp, Hp, Wp } = viewGrid(g3);
  const P = N * Dp * Hp * Wp;
  const xcf = wasmKernel('Transpose')({ inputs: { x: { ...x, shape: [N * D * H * W, Ci] } }, backend, attrs: { perm: [1, 0] } }) as tf.TensorInfo;
  // The spare block: the views of the last channel run past its end by up to one grid (shift < Dp·Hp·Wp).
  const xpad = wasmKernel('PadV2')({
    inputs: { x: { ...xcf, shape: [Ci * N, D, H, W] } },
    backend,
    attrs: { paddings: [[0, 1], [pd, Dp - D - pd], [ph, Hp - H - ph], [pw, Wp - W - pw]], constantValue: 0 },
  }) as tf.TensorInfo;
  dispose(backend, xcf);
  const dyPad = wasmKernel('PadV2')({
    inputs: { x: { ...dy, shape: [N, OD, OH, OW, Co] } },
    backend,
    attrs: { paddings: [[0, 0], [0, Dp - OD], [0, Hp - OH], [0, Wp - OW], [0, 0]], constantValue: 0 },
  }) as tf.TensorInfo;
  const b = { ...dyPad, shape: [1, P, Co] };
  const grad = new Float32Array(FD * FH * FW * Ci * Co);
  let t = 0;
  for (let kd = 0; kd < FD; kd++)
    for (let kh = 0; kh < FH; kh++)
      for (let kw = 0; kw < FW; kw++, t++) {
        const a = heapView(backend, xpad, (kd * dd * Hp + kh * dh) * Wp + kw * dw, [1, Ci, P]);
        const part = matMul(backend, a, b);
        grad.set(heapFloats(backend, part), t * Ci * Co);
        dispose(backend, part);
        releaseView(backend, a);
      }
  dispose(backend, xpad, dyPad);
  const out = backend.makeOutput(filterShape, 'float32');
  heapFloats(backend, out).set(grad);
  return out;
}

/**
 * Filter gradient for any stride, tap by tap. x is transposed once to channels-first ([N, Ci, D·H·W], XNNPACK's
 * Transpose). Then, for a chunk of output lines and each filter tap t, the input values the tap read are
 * gathered into xtᵀ [Ci, m] (whole blocks of rows per (n, ci, depth) when the strides are 1 and the width
 * is kept, else runs per row, else single values), and xtᵀ × dy [m, Co] is the tap's [Ci, Co] block of the
 * DHWIO gradient. dy is the matmul's right operand, which XNNPACK packs once per chunk and caches by
 * tensor id; xtᵀ is a fresh tensor per tap.
 */
function backpropFilter(backend: WasmBackend, g3: ConvGeometry, x: tf.TensorInfo, dy: tf.TensorInfo, filterShape: number[]): tf.TensorInfo {
  const { N, D, H, W, OD, OH, OW, FD, FH, FW, sd, sh, sw, dd, dh, dw, pd, ph, pw, Ci, Co } = dims3(g3);
  const plane = H * W;
  const blocks = sh === 1 && sw === 1 && OW === W; // a run of output rows reads a run of input rows
  const xcf = wasmKernel('Transpose')({ inputs: { x: { ...x, shape: [N, D * plane, Ci] } }, backend, attrs: { perm: [0, 2, 1] } }) as tf.TensorInfo;
  const grad = new Float64Array(FD * FH * FW * Ci * Co);
  const lines = N * OD * OH; // a line: the OW output positions of one (n, od, oh)
  const linesPerChunk = Math.max(1, Math.floor(wasmConvTuning.chunkFloats / (OW * Math.max(Ci, Co))));
  for (let l0 = 0; l0 < lines; l0 += linesPerChunk) {
    const l1 = Math.min(lines, l0 + linesPerChunk);
    const m = (l1 - l0) * OW;
    const dyChunk = backend.makeOutput([1, m, Co], 'float32');
    {
      const { heap, at } = onHeap(backend, dy, dyChunk);
      heap.copyWithin(at[1]!, at[0]! + l0 * OW * Co, at[0]! + l1 * OW * Co);
    }
    let t = 0;
    for (let kd = 0; kd < FD; kd++)
      for (let kh = 0; kh < FH; kh++)
        for (let kw = 0; kw < FW; kw++, t++) {
          const shiftW = kw * dw - pw; // w = ow * sw + shiftW
          const [wLo, wHi] = validRange(W, OW, sw, pw, kw * dw);
          const [hLo, hHi] = validRange(H, OH, sh, ph, kh * dh);
          const xt = backend.makeOutput([1, Ci, m], 'float32');
          const { heap, at } = onHeap(backend, xcf, xt);
          const [x0, c0] = at as [number, number];
          // Segments: the lines of one (n, od) inside the chunk, oh in [ohA, ohB).
          for (let l = l0; l < l1; ) {
            const ohA = l % OH;
            const nod = (l - ohA) / OH;
            const od = nod % OD;
            const n = (nod - od) / OD;
            const ohB = Math.min(OH, ohA + (l1 - l));
            const d = od * sd - pd + kd * dd;
            const a = Math.max(ohA, hLo);
            const b = Math.min(ohB, hHi);
            const dOk = d >= 0 && d < D && a < b && wLo < wHi;
            for (let ci = 0; ci < Ci; ci++) {
              const dst = c0 + ci * m + (l - l0) * OW - ohA * OW; // + oh * OW + ow
              if (!dOk) {
                heap.fill(0, dst + ohA * OW, dst + ohB * OW);
                continue;
              }
              heap.fill(0, dst + ohA * OW, dst + a * OW);
              heap.fill(0, dst + b * OW, dst + ohB * OW);
              const src = x0 + ((n * Ci + ci) * D + d) * plane; // + h * W + w
              if (blocks) {
                // Output (oh, ow) reads input (oh + shiftH, ow + shiftW): one copy for all rows, then the
                // positions that wrapped into a neighbouring row are zeroed.
                const shift = (kh * dh - ph) * W + shiftW;
                heap.copyWithin(dst + a * OW + wLo, src + a * W + wLo + shift, src + (b - 1) * W + wHi + shift);
                if (wLo > 0 || wHi < OW)
                  for (let oh = a; oh < b; oh++) {
                    const row = dst + oh * OW;
                    for (let ow = 0; ow < wLo; ow++) heap[row + ow] = 0;
                    for (let ow = wHi; ow < OW; ow++) heap[row + ow] = 0;
                  }
                continue;
              }
              for (let oh = a; oh < b; oh++) {
                const row = dst + oh * OW;
                const srcRow = src + (oh * sh - ph + kh * dh) * W + shiftW;
                heap.fill(0, row, row + wLo);
                heap.fill(0, row + wHi, row + OW);
                if (sw === 1) heap.copyWithin(row + wLo, srcRow + wLo, srcRow + wHi);
                else for (let ow = wLo; ow < wHi; ow++) heap[row + ow] = heap[srcRow + ow * sw]!;
              }
            }
            l += ohB - ohA;
          }
          const part = matMul(backend, xt, dyChunk);
          const p = heapFloats(backend, part);
          const base = t * Ci * Co;
          for (let i = 0; i < Ci * Co; i++) grad[base + i] = grad[base + i]! + p[i]!;
          dispose(backend, part, xt);
        }
    dispose(backend, dyChunk);
  }
  dispose(backend, xcf);
  const out = backend.makeOutput(filterShape, 'float32');
  heapFloats(backend, out).set(grad);
  return out;
}

/** gendice's wasm kernels over a wasm backend's heap, and the byte offset of a tensor on it. */
export interface HeapKernels {
  memory: WebAssembly.Memory;
  inst: WasmKernelInstance;
  at(t: tf.TensorInfo): number;
}

/** gendice's wasm kernels on this backend's heap; undefined where they cannot run there. */
export function kernelsOn(backend: WasmBackend): HeapKernels | undefined {
  const memory = wasmHeapMemory(backend);
  const inst = memory === undefined ? undefined : wasmKernelInstance(memory);
  if (memory === undefined || inst === undefined) return undefined;
  return { memory, inst, at: (t) => backend.dataIdMap.get(t.dataId)!.memoryOffset };
}

/**
 * Runs a kernel call `f` that writes `out`, with `ints` (its geometry, if it reads one) in a temporary int32
 * tensor on the heap, whose byte offset `f` gets; the temporary is freed after, `out` too if `f` throws.
 */
export function runOnHeap(backend: WasmBackend, k: HeapKernels, out: tf.TensorInfo, ints: Int32Array | undefined, f: (geometry: number) => void): tf.TensorInfo {
  const geometry = ints === undefined ? undefined : backend.makeOutput([ints.length], 'int32');
  try {
    if (geometry !== undefined) new Int32Array(k.memory.buffer, k.at(geometry), ints!.length).set(ints!);
    f(geometry === undefined ? 0 : k.at(geometry));
  } catch (e) {
    dispose(backend, out);
    throw e;
  } finally {
    if (geometry !== undefined) dispose(backend, geometry);
  }
  return out;
}

/**
 * The filter gradient by gendice's wasm kernel, on the heap where x and dy already are: undefined where the
 * kernel does not take the geometry or cannot run on this backend's memory.
 */
function filterGradientByKernel(backend: WasmBackend, g3: ConvGeometry, x: tf.TensorInfo, dy: tf.TensorInfo, filterShape: number[]): tf.TensorInfo | undefined {
  const g: KernelGeometry = dims3(g3);
  const k = wasmConvTuning.filterGradKernel && filterGradientTakes(g) ? kernelsOn(backend) : undefined;
  if (k === undefined) return undefined;
  const out = backend.makeOutput(filterShape, 'float32');
  return runOnHeap(backend, k, out, geometryInts(g), (geometry) =>
    runFilterGradient(k.inst, k.memory, { geometry, x: k.at(x), dy: k.at(dy), dW: k.at(out) }, sizeOf(filterShape)),
  );
}

/** dy · step(y) by gendice's wasm kernel, in one pass: undefined where it cannot run on this backend's memory. */
function reluGradByKernel(backend: WasmBackend, dy: tf.TensorInfo, y: tf.TensorInfo): tf.TensorInfo | undefined {
  const n = sizeOf(dy.shape);
  const k = wasmConvTuning.reluGradKernel && n > 0 ? kernelsOn(backend) : undefined;
  if (k === undefined) return undefined;
  const out = backend.makeOutput(dy.shape, 'float32');
  return runOnHeap(backend, k, out, undefined, () => runReluGrad(k.inst, k.memory, { dy: k.at(dy), y: k.at(y), out: k.at(out) }, n));
}

function filterGradient(backend: WasmBackend, g3: ConvGeometry, x: tf.TensorInfo, dy: tf.TensorInfo, filterShape: number[]): tf.TensorInfo {
  const byKernel = filterGradientByKernel(backend, g3, x, dy, filterShape);
  if (byKernel !== undefined) return byKernel;
  if (!wasmConvTuning.filterGradByViews) return backpropFilter(backend, g3, x, dy, filterShape);
  if (tilesInput(g3)) return backpropFilterByPatches(backend, g3, x, dy, filterShape);
  const byViews = g3.strides.every((s) => s === 1) && viewGrid(g3).floats <= wasmConvTuning.viewFloats;
  return (byViews ? backpropFilterByViews : backpropFilter)(backend, g3, x, dy, filterShape);
}

const float = (...ts: (tf.TensorInfo | undefined)[]): boolean => ts.every((t) => t !== undefined && t.dtype === 'float32');
const nhwc = (f: unknown): boolean => f === undefined || f === 'NHWC' || f === 'NDHWC';

/**
 * gendice's fused training kernels (`GendiceFusedConv2D` / `GendiceFusedConv3D`, fusedConvolution.ts) on
 * wasm, composed of the very kernels the unfused chain runs (the registered Conv2D / Conv3D, wasm's Add and
 * Relu), so values and gradients are the unfused chain's bit for bit. What changes is what stays alive: the
 * chain keeps its convolution's output and the biased sum for the backward pass, the fused op only x, the
 * filter and y (its ReLU gradient is TF.js's dy · step(y), equal to the chain's dy · step(x)), so the
 * intermediates are freed inside the kernel.
 */
function registerWasmFusedConvolutions(): void {
  for (const [name, conv, dataFormat] of [
    [FUSED_CONV2D_KERNEL, 'Conv2D', 'NHWC'],
    [FUSED_CONV3D_KERNEL, 'Conv3D', 'NDHWC'],
  ] as const) {
    replaceKernel(name, 'wasm', 'wasm-composed', () => (args: KernelArgs) => {
      const backend = args.backend as WasmBackend;
      const { x, filter, bias } = args.inputs;
      if (x === undefined || filter === undefined) throw new Error(`${name}: inputs x and filter are required`);
      const attrs = args.attrs ?? {};
      const dilations = conv === 'Conv2D' ? [1, 1] : [1, 1, 1];
      const convAttrs = { strides: attrs.strides, pad: attrs.pad, dataFormat, dilations, ...(attrs.dimRoundingMode !== undefined ? { dimRoundingMode: attrs.dimRoundingMode } : {}) };
      let y = wasmKernel(conv)({ inputs: { x, filter }, backend, attrs: convAttrs as unknown as tf.NamedAttrMap }) as tf.TensorInfo;
      const step = (kernel: string, inputs: tf.NamedTensorInfoMap): void => {
        const next = wasmKernel(kernel)({ inputs, backend }) as tf.TensorInfo;
        dispose(backend, y);
        y = next;
      };
      if (bias !== undefined) step('Add', { a: y, b: bias });
      if (attrs.activation === 'relu') step('Relu', { x: y });
      else if (attrs.activation !== undefined && attrs.activation !== 'linear') throw new Error(`${name}: activation must be 'linear' or 'relu', got '${String(attrs.activation)}'`);
      return y;
    });
  }
  // dy · step(y) as TF.js composes it (Step, then Multiply), with the step freed at once: composed, it lives
  // until the backward pass ends, a layer-sized tensor per ReLU. gendice's wasm kernel does both in one pass
  // on all threads, with the same values (wasmSimdKernels.ts).
  replaceKernel(RELU_GRAD_KERNEL, 'wasm', 'wasm-composed', () => (args: KernelArgs) => {
    const backend = args.backend as WasmBackend;
    const { dy, y } = args.inputs;
    if (!dy || !y || !float(dy, y) || sizeOf(dy.shape) !== sizeOf(y.shape)) {
      throw new Error(`${RELU_GRAD_KERNEL}: dy and y must be float32 tensors of one shape, got [${dy?.shape.join(', ')}] ${dy?.dtype} and [${y?.shape.join(', ')}] ${y?.dtype}`);
    }
    const byKernel = reluGradByKernel(backend, dy, y);
    if (byKernel !== undefined) return byKernel;
    const s = wasmKernel('Step')({ inputs: { x: y }, backend, attrs: { alpha: 0 } }) as tf.TensorInfo;
    const out = wasmKernel('Multiply')({ inputs: { a: dy, b: s }, backend }) as tf.TensorInfo;
    dispose(backend, s);
    return out;
  });
}

/**
 * Registers on `wasm` the convolution kernels composed from its XNNPACK Conv2D, BatchMatMul, Transpose,
 * PadV2 and Add: Conv2DBackpropInput, Conv2DBackpropFilter (missing in stock wasm), Conv3D,
 * Conv3DBackpropInputV2 (stock one is wrong) and Conv3DBackpropFilterV2, with any stride, padding and dilation:
 * - Conv3D: one Conv2D per depth tap, on heap views with unit depth stride (forwardByDepthTaps), on
 *   gathered slices otherwise (forwardByDepthGathers);
 * - input gradients with unit strides: the forward convolution with the flipped filter; other strides:
 *   matmul then col2im;
 * - filter gradients: with unit strides one product per tap of heap views (backpropFilterByViews, while
 *   its padded copies fit in `viewFloats`); of tiling windows one transpose and one product
 *   (backpropFilterByPatches); otherwise per tap a gathered [Ci, m] matrix × dy (backpropFilter).
 * Per-element JS loops remain only in col2im (strided input gradients) and in the gathers for strides
 * above 1 along the width. Also SplitV (the gradient of concat) as contiguous-run copies on the heap:
 * stock wasm slices rank-5 tensors element by element. And Sum over any axes in one pass with float64
 * accumulation (stock wasm transposes first; the bias gradients are Sums), Concat of equal parts on the
 * last axis by a transpose, Identity as a shared reference, and Conv2D / FusedConv2D with 'same' padding
 * given as numbers (XNNPACK's SAME is wrong where a stride exceeds the filter). docs/engine.md has what
 * each cost in a 3D U-Net step.
 */
export function registerWasmConvolutions(): void {
  registerWasmFusedConvolutions();
  // TF.js's wasm Identity copies its input; cpu's and webgl's share the data (a reference count), as here.
  // The engine clones every tensor it saves for the backward pass through Identity: 98 copies in a 3D U-Net
  // step, 30 ms of it. TF.js tensors are immutable and no wasm kernel writes into its inputs.
  replaceKernel('Identity', 'wasm', 'wasm-composed', () => (args: KernelArgs) => {
    const backend = args.backend as WasmBackend;
    const x = args.inputs.x!;
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape.slice(), dtype: x.dtype };
  });
  replaceKernel('Sum', 'wasm', 'wasm-composed', (original) => (args: KernelArgs) => {
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
  replaceKernel('SplitV', 'wasm', 'wasm-composed', (original) => (args: KernelArgs) => {
    const backend = args.backend as WasmBackend;
    const x = args.inputs.x;
    if (!x || x.dtype !== 'float32') return callOriginal('SplitV', original, args);
    const attrs = args.attrs ?? {};
    const regions = splitRegions(x, attrs.axis as number, attrs.numOrSizeSplits as number[]);
    const rank = x.shape.length;
    const c = regions[0]?.size[rank - 1] ?? 0;
    const rows = sizeOf(x.shape) / Math.max(1, x.shape[rank - 1]!);
    if (regions.length > 1 && rows > 1 && c > 0 && regions.length * c === x.shape[rank - 1] && regions.every((r) => r.begin.slice(0, -1).every((b) => b === 0) && r.size[rank - 1] === c && r.size.slice(0, -1).every((d, i) => d === x.shape[i]))) {
      // Equal parts of the last axis (a Concat's gradient): one transpose of [rows, parts, c] to [parts, rows, c],
      // then one contiguous copy per part, instead of a copy per run of c floats.
      const parts = regions.length;
      const blocks = wasmKernel('Transpose')({ inputs: { x: { ...x, shape: [rows, parts, c] } }, backend, attrs: { perm: [1, 0, 2] } }) as tf.TensorInfo;
      const outs = regions.map(({ size }) => backend.makeOutput(size, 'float32'));
      const { heap, at } = onHeap(backend, blocks, ...outs);
      outs.forEach((_, i) => heap.copyWithin(at[i + 1]!, at[0]! + i * rows * c, at[0]! + (i + 1) * rows * c));
      dispose(backend, blocks);
      return outs;
    }
    return regions.map(({ begin, size }) => {
      const out = backend.makeOutput(size, 'float32');
      // Views taken after makeOutput, which may grow (and so move) the heap.
      if (sizeOf(size) > 0) sliceInto(heapFloats(backend, x), x.shape, begin, size, heapFloats(backend, out));
      return out;
    });
  });
  // Concat of equal parts along the last axis (a U-Net's skip connections): the parts one after another,
  // then XNNPACK's Transpose [k, rows, C] -> [rows, k, C]. TF.js's wasm Concat copies row by row in JS:
  // [221184, 8] twice, 77 against 18 ms (measured, one run).
  replaceKernel('Concat', 'wasm', 'wasm-composed', (original) => (args: KernelArgs) => {
    const backend = args.backend as WasmBackend;
    const parts = Object.values(args.inputs).filter((t): t is tf.TensorInfo => t !== undefined);
    const first = parts[0];
    if (first === undefined || parts.length < 2 || !float(...parts)) return callOriginal('Concat', original, args);
    const rank = first.shape.length;
    const axis = tf.util.parseAxisParam((args.attrs?.axis ?? 0) as number, first.shape)[0]!;
    const C = first.shape[rank - 1]!;
    const rows = sizeOf(first.shape) / C;
    const equal = parts.every((t) => t.shape.length === rank && t.shape.every((d, i) => d === first.shape[i]));
    if (axis !== rank - 1 || !equal || rows <= 1 || C === 0) return callOriginal('Concat', original, args);
    const stacked = backend.makeOutput([parts.length, rows, C], 'float32');
    {
      const { heap, at } = onHeap(backend, stacked, ...parts);
      parts.forEach((_, i) => heap.copyWithin(at[0]! + i * rows * C, at[i + 1]!, at[i + 1]! + rows * C));
    }
    const out = wasmKernel('Transpose')({ inputs: { x: stacked }, backend, attrs: { perm: [1, 0, 2] } }) as tf.TensorInfo;
    dispose(backend, stacked);
    return { ...out, shape: [...first.shape.slice(0, -1), C * parts.length] };
  });
  // TF.js's wasm Conv2D and FusedConv2D hand 'same' padding to XNNPACK as its TensorFlow-SAME flag, which
  // gives wrong outputs where a stride exceeds the filter along an axis (filter [1, 2], stride 2: every
  // value wrong; found by comparing random geometries with cpu). The same padding given explicitly (TF.js's
  // own computeConv2DInfo) is right, so 'same' goes in as numbers.
  for (const name of ['Conv2D', 'FusedConv2D'])
    replaceKernel(name, 'wasm', 'wasm-composed', (original) => (args: KernelArgs) => {
      const { x, filter } = args.inputs;
      const attrs = args.attrs ?? {};
      if (!x || !filter || attrs.pad !== 'same' || !nhwc(attrs.dataFormat)) return callOriginal(name, original, args);
      const { padInfo } = tf.backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number],
        filter.shape as [number, number, number, number],
        attrs.strides as [number, number],
        (attrs.dilations ?? 1) as [number, number],
        'same',
      );
      const pad = [[0, 0], [padInfo.top, padInfo.bottom], [padInfo.left, padInfo.right], [0, 0]];
      return callOriginal(name, original, { ...args, attrs: { ...attrs, pad } });
    });
  replaceKernel('Conv2DBackpropInput', 'wasm', 'wasm-composed', (original) => (args: KernelArgs) => {
    const backend = args.backend as WasmBackend;
    const { dy, filter } = args.inputs;
    const attrs = args.attrs ?? {};
    if (!dy || !filter || !float(dy, filter) || !nhwc(attrs.dataFormat)) return callOriginal('Conv2DBackpropInput', original, args);
    const g = conv2dGeometry(attrs.inputShape as number[], filter.shape, attrs.strides as [number, number], (attrs.dilations ?? 1) as [number, number], attrs.pad as Pad, attrs.dimRoundingMode as Rounding);
    return backpropInputByConv(backend, g, dy, filter) ?? backpropInput(backend, as3d(g), dy, filter, inShapeOf(g));
  });
  replaceKernel('Conv2DBackpropFilter', 'wasm', 'wasm-composed', (original) => (args: KernelArgs) => {
    const backend = args.backend as WasmBackend;
    const { x, dy } = args.inputs;
    const attrs = args.attrs ?? {};
    if (!x || !dy || !float(x, dy) || !nhwc(attrs.dataFormat)) return callOriginal('Conv2DBackpropFilter', original, args);
    const g = conv2dGeometry(x.shape, attrs.filterShape as number[], attrs.strides as [number, number], (attrs.dilations ?? 1) as [number, number], attrs.pad as Pad, attrs.dimRoundingMode as Rounding);
    return filterGradient(backend, as3d(g), x, dy, filterShapeOf(g));
  });
  replaceKernel('Conv3D', 'wasm', 'wasm-composed', (original) => (args: KernelArgs) => {
    const backend = args.backend as WasmBackend;
    const { x, filter } = args.inputs;
    const attrs = args.attrs ?? {};
    if (!x || !filter || !float(x, filter) || !nhwc(attrs.dataFormat)) return callOriginal('Conv3D', original, args);
    const g = conv3dGeometry(x.shape, filter.shape, attrs.strides as [number, number, number], (attrs.dilations ?? 1) as [number, number, number], attrs.pad as 'same');
    return forwardByDepthTaps(backend, g, x, filter);
  });
  replaceKernel('Conv3DBackpropInputV2', 'wasm', 'wasm-composed', (original) => (args: KernelArgs) => {
    const backend = args.backend as WasmBackend;
    const { dy, filter } = args.inputs;
    const attrs = args.attrs ?? {};
    if (!dy || !filter || !float(dy, filter)) return callOriginal('Conv3DBackpropInputV2', original, args);
    const g = conv3dGeometry(attrs.inputShape as number[], filter.shape, attrs.strides as [number, number, number], (attrs.dilations ?? 1) as [number, number, number], attrs.pad as 'same');
    return backpropInputByConv(backend, g, dy, filter) ?? backpropInput(backend, g, dy, filter, inShapeOf(g));
  });
  replaceKernel('Conv3DBackpropFilterV2', 'wasm', 'wasm-composed', (original) => (args: KernelArgs) => {
    const backend = args.backend as WasmBackend;
    const { x, dy } = args.inputs;
    const attrs = args.attrs ?? {};
    if (!x || !dy || !float(x, dy)) return callOriginal('Conv3DBackpropFilterV2', original, args);
    const g = conv3dGeometry(x.shape, attrs.filterShape as number[], attrs.strides as [number, number, number], (attrs.dilations ?? 1) as [number, number, number], attrs.pad as 'same');
    return filterGradient(backend, g, x, dy, filterShapeOf(g));
  });
}
