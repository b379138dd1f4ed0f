import { allocateVoxels, createVolume, voxelsPerChannel, type Volume } from './volume.js';

/** Interpolation of intensities along one axis. */
export const IMAGE_INTERPOLATIONS = ['nearest', 'linear', 'cubic'] as const;
export type ImageInterpolation = (typeof IMAGE_INTERPOLATIONS)[number];

/** Interpolation of label maps: nearest neighbour, or linear on each label's one-hot mask then argmax. */
export const LABEL_INTERPOLATIONS = ['nearest', 'linear-onehot'] as const;
export type LabelInterpolation = (typeof LABEL_INTERPOLATIONS)[number];

export interface ResampleImageOptions {
  /** In-plane (all axes but `separateAxis`) interpolation. Default 'cubic' (nnU-Net: order 3). */
  interpolation?: ImageInterpolation;
  /** The thick-slice axis resampled on its own (nnU-Net's "separate z"), or undefined for none. */
  separateAxis?: number | undefined;
  /** Interpolation along `separateAxis`. Default 'nearest' (nnU-Net: order_z 0). */
  separateInterpolation?: ImageInterpolation;
}

export interface ResampleLabelsOptions {
  /** Default 'linear-onehot' (nnU-Net: order 1 on one-hot masks). */
  interpolation?: LabelInterpolation;
  /** As for images; along it labels are taken from the nearest slice (nnU-Net: order_z 0). */
  separateAxis?: number | undefined;
  /** The label set; default: the values present. A value present but not listed is an error. */
  labels?: readonly number[];
}

function check(condition: boolean, message: () => string): void {
  if (!condition) throw new Error(message());
}

function checkShape(op: string, volume: Volume, shape: readonly number[]): void {
  check(
    shape.length === volume.shape.length && shape.every((s) => Number.isInteger(s) && s >= 1),
    () => `${op}: shape must hold ${volume.shape.length} positive integers, got [${shape.join(', ')}]`,
  );
}

function checkOneOf<T extends string>(op: string, key: string, value: T, allowed: readonly T[]): T {
  check(allowed.includes(value), () => `${op}: ${key} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}; got '${String(value)}'`);
  return value;
}

function checkSeparateAxis(op: string, axis: number | undefined, rank: number): void {
  check(
    axis === undefined || (Number.isInteger(axis) && axis >= 0 && axis < rank),
    () => `${op}: separateAxis must be undefined or an integer in [0, ${rank - 1}], got ${String(axis)}`,
  );
}

/**
 * Where output voxel `o` of an axis of `nOut` voxels falls in an input axis of `nIn` voxels: voxel
 * centres are aligned so that both grids cover the same extent (the outer voxel edges coincide),
 * s = (o + ½)·nIn/nOut − ½. This is skimage's `resize` convention, which nnU-Net uses.
 */
export function sourceCoordinate(o: number, nIn: number, nOut: number): number {
  return ((o + 0.5) * nIn) / nOut - 0.5;
}

interface Taps {
  width: number;
  index: Int32Array;
  weight: Float64Array;
}

/** Keys' cubic convolution kernel with a = −½ (Catmull–Rom): interpolating, C¹, exact on quadratics. */
export function cubicWeights(t: number): [number, number, number, number] {
  const t2 = t * t;
  const t3 = t2 * t;
  return [(-t3 + 2 * t2 - t) / 2, (3 * t3 - 5 * t2 + 2) / 2, (-3 * t3 + 4 * t2 + t) / 2, (t3 - t2) / 2];
}

function axisTaps(nIn: number, nOut: number, kind: ImageInterpolation): Taps {
  const width = kind === 'nearest' ? 1 : kind === 'linear' ? 2 : 4;
  const index = new Int32Array(nOut * width);
  const weight = new Float64Array(nOut * width);
  const clamp = (i: number): number => Math.min(nIn - 1, Math.max(0, i));
  for (let o = 0; o < nOut; o++) {
    const s = sourceCoordinate(o, nIn, nOut);
    const at = o * width;
    if (kind === 'nearest') {
      index[at] = clamp(Math.round(s));
      weight[at] = 1;
      continue;
    }
    const f = Math.floor(s);
    const t = s - f;
    if (kind === 'linear') {
      index[at] = clamp(f);
      index[at + 1] = clamp(f + 1);
      weight[at] = 1 - t;
      weight[at + 1] = t;
      continue;
    }
    const w = cubicWeights(t);
    for (let k = 0; k < 4; k++) {
      index[at + k] = clamp(f - 1 + k);
      weight[at + k] = w[k]!;
    }
  }
  return { width, index, weight };
}

/**
 * One separable pass: resamples `src` (x fastest, then y, z, then `lines` blocks) along `axis` from
 * `dims[axis]` to `nOut` voxels.
 */
function resampleAxis(src: Float32Array, dims: number[], axis: number, nOut: number, kind: ImageInterpolation): Float32Array {
  const nIn = dims[axis]!;
  let inner = 1;
  for (let a = 0; a < axis; a++) inner *= dims[a]!;
  const outer = src.length / (inner * nIn);
  const out = new Float32Array(inner * nOut * outer);
  const { width, index, weight } = axisTaps(nIn, nOut, kind);
  for (let q = 0; q < outer; q++) {
    const srcBase = q * nIn * inner;
    const dstBase = q * nOut * inner;
    for (let o = 0; o < nOut; o++) {
      const dst = dstBase + o * inner;
      for (let k = 0; k < width; k++) {
        const w = weight[o * width + k]!;
        if (w === 0) continue;
        const from = srcBase + index[o * width + k]! * inner;
        for (let i = 0; i < inner; i++) out[dst + i]! += w * src[from + i]!;
      }
    }
  }
  dims[axis] = nOut;
  return out;
}

/** All channels of `data` (Float32, volume layout) resampled to `shape`, axis by axis. */
function resampleArray(data: Float32Array, shape: readonly number[], target: readonly number[], kinds: ImageInterpolation[]): Float32Array {
  const dims = [...shape];
  let cur = data;
  for (let a = 0; a < shape.length; a++) {
    if (dims[a] === target[a]) continue;
    cur = resampleAxis(cur, dims, a, target[a]!, kinds[a]!);
  }
  return cur === data ? Float32Array.from(data) : cur;
}

function axisKinds(rank: number, inPlane: ImageInterpolation, separateAxis: number | undefined, separate: ImageInterpolation): ImageInterpolation[] {
  return Array.from({ length: rank }, (_, a) => (a === separateAxis ? separate : inPlane));
}

/**
 * The affine of a volume of `shape` resampled from `fromShape` with `affine`, covering the same extent:
 * A' = A · [diag(r), (r − 1)/2] with r = fromShape/shape per axis (exact, oblique or not).
 */
export function resampledAffine(affine: readonly number[], fromShape: readonly number[], shape: readonly number[]): number[] {
  const out = [...affine];
  for (let a = 0; a < fromShape.length; a++) {
    const r = fromShape[a]! / shape[a]!;
    const shift = (r - 1) / 2;
    for (let row = 0; row < 3; row++) {
      out[row * 4 + 3] = out[row * 4 + 3]! + affine[row * 4 + a]! * shift;
      out[row * 4 + a] = affine[row * 4 + a]! * r;
    }
  }
  return out;
}

function resampledGeometry(volume: Volume, shape: readonly number[]): { spacing: number[]; affine: number[] } {
  return {
    spacing: volume.spacing.map((s, a) => (s * volume.shape[a]!) / shape[a]!),
    affine: resampledAffine(volume.affine, volume.shape, shape),
  };
}

/**
 * Resamples an image (every channel) to `shape` along its own voxel axes, separably: cubic (Keys,
 * a = −½) by default, linear or nearest; the `separateAxis` (a thick-slice axis) with
 * `separateInterpolation` (default nearest, as nnU-Net). Grids are aligned on their outer voxel edges
 * (`sourceCoordinate`); values beyond the edge repeat the edge voxel; no anti-aliasing (as nnU-Net).
 * Returns float32 with spacing × old/new extent and the exact affine (`resampledAffine`).
 */
export function resampleImage(volume: Volume, shape: readonly number[], options: ResampleImageOptions = {}): Volume {
  const op = 'resampleImage';
  checkShape(op, volume, shape);
  const interpolation = checkOneOf(op, 'interpolation', options.interpolation ?? 'cubic', IMAGE_INTERPOLATIONS);
  const separate = checkOneOf(op, 'separateInterpolation', options.separateInterpolation ?? 'nearest', IMAGE_INTERPOLATIONS);
  checkSeparateAxis(op, options.separateAxis, shape.length);
  const data = volume.data instanceof Float32Array ? volume.data : Float32Array.from(volume.data);
  const out = resampleArray(data, volume.shape, shape, axisKinds(shape.length, interpolation, options.separateAxis, separate));
  return createVolume(out, [...shape], { channels: volume.channels, ...resampledGeometry(volume, shape) });
}

/** The sorted distinct values of a label map. */
export function labelValues(volume: Volume): number[] {
  const seen = new Set<number>();
  for (let i = 0; i < volume.data.length; i++) seen.add(volume.data[i]!);
  return [...seen].sort((a, b) => a - b);
}

/**
 * Resamples a label map (one channel) to `shape` without creating label values: 'linear-onehot'
 * (default) interpolates each label's mask linearly (nearest along `separateAxis`) and keeps the label
 * of the largest value (ties: the lower label); 'nearest' takes the nearest voxel. The datatype is kept.
 * Geometry as `resampleImage`.
 */
export function resampleLabels(volume: Volume, shape: readonly number[], options: ResampleLabelsOptions = {}): Volume {
  const op = 'resampleLabels';
  checkShape(op, volume, shape);
  check(volume.channels === 1, () => `${op}: a label map has one channel, got ${volume.channels}`);
  const interpolation = checkOneOf(op, 'interpolation', options.interpolation ?? 'linear-onehot', LABEL_INTERPOLATIONS);
  checkSeparateAxis(op, options.separateAxis, shape.length);
  const present = labelValues(volume);
  const labels = options.labels === undefined ? present : [...new Set(options.labels)].sort((a, b) => a - b);
  const missing = present.filter((v) => !labels.includes(v));
  check(missing.length === 0, () => `${op}: label values [${missing.slice(0, 10).join(', ')}] are not in labels [${labels.join(', ')}]`);
  const n = voxelsPerChannel(shape);
  const out = allocateVoxels(volume.datatype, n);
  const geometry = resampledGeometry(volume, shape);
  if (interpolation === 'nearest') {
    const [ix, iy, iz] = [0, 1, 2].map((a) => {
      const taps = axisTaps(volume.shape[a] ?? 1, shape[a] ?? 1, 'nearest');
      return taps.index;
    }) as [Int32Array, Int32Array, Int32Array];
    const [X, Y] = volume.shape as [number, number];
    let at = 0;
    for (let k = 0; k < iz.length; k++) {
      for (let j = 0; j < iy.length; j++) {
        const row = X * (iy[j]! + Y * iz[k]!);
        for (let i = 0; i < ix.length; i++) out[at++] = volume.data[row + ix[i]!]!;
      }
    }
    return createVolume(out, [...shape], geometry);
  }
  const kinds = axisKinds(shape.length, 'linear', options.separateAxis, 'nearest');
  const best = new Float32Array(n).fill(-1);
  const mask = new Float32Array(volume.data.length);
  for (const value of labels) {
    let any = false;
    for (let i = 0; i < mask.length; i++) {
      const hit = volume.data[i] === value;
      mask[i] = hit ? 1 : 0;
      any ||= hit;
    }
    if (!any) continue;
    const share = resampleArray(mask, volume.shape, shape, kinds);
    for (let i = 0; i < n; i++) {
      if (share[i]! > best[i]!) {
        best[i] = share[i]!;
        out[i] = value;
      }
    }
  }
  return createVolume(out, [...shape], geometry);
}
