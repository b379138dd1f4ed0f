import * as tf from '@tensorflow/tfjs';

/**
 * The geometry of one 2D or 3D convolution in channels-last layout, with the spatial axes in
 * order (depth,) height, width. 2D convolutions have two spatial axes, 3D ones three.
 * `padR` is chosen so that out = (in + padL + padR - extent) / stride + 1 holds exactly,
 * extent = (filter - 1) * dilation + 1, as oneDNN requires.
 */
export interface ConvGeometry {
  batch: number;
  inChannels: number;
  outChannels: number;
  inSize: number[];
  outSize: number[];
  filterSize: number[];
  strides: number[];
  dilations: number[];
  padL: number[];
  padR: number[];
}

type Pad2D = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

function finish(g: Omit<ConvGeometry, 'padR'> & { padR: number[] }): ConvGeometry {
  const padR = g.padR.map((p, i) => {
    const extent = (g.filterSize[i]! - 1) * g.dilations[i]! + 1;
    const exact = (g.outSize[i]! - 1) * g.strides[i]! + extent - g.inSize[i]! - g.padL[i]!;
    const fits = Math.floor((g.inSize[i]! + g.padL[i]! + p - extent) / g.strides[i]!) + 1 === g.outSize[i];
    return fits ? p : exact;
  });
  return { ...g, padR };
}

/**
 * Whether TF.js's padding for the geometry is negative somewhere: its computeConv3DInfo gives 'same' a
 * negative front/top/left padding where a stride exceeds the filter and the last input rows go unread
 * (height 4, filter 1, stride 2: top −1; its 2D version clamps at 0). Stock kernels then skip those input
 * rows; oneDNN takes no negative padding, so such calls stay with TF.js's kernels.
 */
export function hasNegativePadding(g: ConvGeometry): boolean {
  return g.padL.some((p) => p < 0) || g.padR.some((p) => p < 0);
}

/** Geometry of a channels-last 2D convolution, from the same arguments as TF.js's computeConv2DInfo. */
export function conv2dGeometry(
  xShape: readonly number[],
  filterShape: readonly number[],
  strides: number | [number, number],
  dilations: number | [number, number],
  pad: Pad2D,
  roundingMode: Rounding,
): ConvGeometry {
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    dilations,
    pad,
    roundingMode,
    false,
    'channelsLast',
  );
  return finish({
    batch: info.batchSize,
    inChannels: info.inChannels,
    outChannels: info.outChannels,
    inSize: [info.inHeight, info.inWidth],
    outSize: [info.outHeight, info.outWidth],
    filterSize: [info.filterHeight, info.filterWidth],
    strides: [info.strideHeight, info.strideWidth],
    dilations: [info.dilationHeight, info.dilationWidth],
    padL: [info.padInfo.top, info.padInfo.left],
    padR: [info.padInfo.bottom, info.padInfo.right],
  });
}

/** Geometry of a channels-last 3D convolution, from the same arguments as TF.js's computeConv3DInfo. */
export function conv3dGeometry(
  xShape: readonly number[],
  filterShape: readonly number[],
  strides: number | [number, number, number],
  dilations: number | [number, number, number],
  pad: 'valid' | 'same' | number,
): ConvGeometry {
  const info = tf.backend_util.computeConv3DInfo(
    xShape as [number, number, number, number, number],
    filterShape as [number, number, number, number, number],
    strides,
    dilations,
    pad,
    false,
    'channelsLast',
  );
  return finish({
    batch: info.batchSize,
    inChannels: info.inChannels,
    outChannels: info.outChannels,
    inSize: [info.inDepth, info.inHeight, info.inWidth],
    outSize: [info.outDepth, info.outHeight, info.outWidth],
    filterSize: [info.filterDepth, info.filterHeight, info.filterWidth],
    strides: [info.strideDepth, info.strideHeight, info.strideWidth],
    dilations: [info.dilationDepth, info.dilationHeight, info.dilationWidth],
    padL: [info.padInfo.front, info.padInfo.top, info.padInfo.left],
    padR: [info.padInfo.back, info.padInfo.bottom, info.padInfo.right],
  });
}

export const inShapeOf = (g: ConvGeometry): number[] => [g.batch, ...g.inSize, g.inChannels];
export const outShapeOf = (g: ConvGeometry): number[] => [g.batch, ...g.outSize, g.outChannels];
export const filterShapeOf = (g: ConvGeometry): number[] => [...g.filterSize, g.inChannels, g.outChannels];

/** Output positions o in [lo, hi) whose tap k reads inside the input along one axis: 0 <= o*s - p + k*d < size. */
export function validRange(size: number, out: number, stride: number, pad: number, offset: number): [number, number] {
  const lo = Math.max(0, Math.ceil((pad - offset) / stride));
  const hi = Math.min(out, Math.floor((size - 1 + pad - offset) / stride) + 1);
  return [lo, Math.max(lo, hi)];
}

/** Multiply-accumulates of one pass (forward, backward-data and backward-weights cost the same). */
export function convFlops(g: ConvGeometry): number {
  let n = 2 * g.batch * g.inChannels * g.outChannels;
  for (let i = 0; i < g.outSize.length; i++) n *= g.outSize[i]! * g.filterSize[i]!;
  return n;
}

/**
 * The regions SplitV cuts out of a tensor of `shape`: one `{ begin, size }` per split along `axis`,
 * from TF.js's `axis` and `numOrSizeSplits` attributes.
 */
export function splitRegions(x: tf.TensorInfo, axisAttr: number, numOrSizeSplits: number[] | number): Array<{ begin: number[]; size: number[] }> {
  const axis = tf.util.parseAxisParam(axisAttr, x.shape)[0]!;
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, axis);
  let start = 0;
  return sizes.map((s) => {
    const begin = new Array<number>(x.shape.length).fill(0);
    const size = x.shape.slice();
    begin[axis] = start;
    size[axis] = s;
    start += s;
    return { begin, size };
  });
}
