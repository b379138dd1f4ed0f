import * as tf from '@tensorflow/tfjs';

import type { Activation } from '../common/activation.js';
import { blendWindow, gatherWindow, normaliseBlend } from './windowBlending.js';

/** How overlapping windows are weighted: a Gaussian importance map centred on each window, or equally. */
export const BLENDING_MODES = ['gaussian', 'constant'] as const;
export type Blending = (typeof BLENDING_MODES)[number];
export type OutputActivation = Activation;

export interface SlidingWindowOptions {
  /** Spatial size of the network input window, 2 or 3 numbers (the image's rank). */
  windowSize: readonly number[];
  /** Fraction of the output window shared by neighbouring windows, in [0, 1). Default 0.25. */
  overlap?: number;
  /** 'gaussian' (default: centre voxels count more, as MONAI and nnU-Net) or 'constant'. */
  blending?: Blending;
  /** Gaussian σ as a fraction of the output window side. Default 0.125. */
  sigmaScale?: number;
  /** Windows per forward pass. Default 4, fewer when 4 windows would exceed `INFERENCE_WINDOW_VOXELS` input voxels. */
  batchSize?: number;
  /**
   * Spatial output shape of the network for an input window, for networks whose output is smaller
   * than their input (DeepMedic, TwoPathCNN): the output is taken as centred in the window. Default: same size.
   */
  outputShapeFor?: (windowSize: readonly number[]) => number[];
  /** Applied to each window's output before blending. Default 'softmax' (C > 1) or 'sigmoid' (C = 1). */
  activation?: OutputActivation;
  /** Value of the image outside its bounds. Default 0 (the mean of a z-scored image). */
  padValue?: number;
}

/** Anything that maps an input batch `[n, ...window, C]` to an output `[n, ...out, K]`. */
export type Predictor = tf.LayersModel | ((x: tf.Tensor) => tf.Tensor);

export interface SlidingWindowResult {
  /** Blended outputs, row-major `[...spatialShape, K]`. */
  output: Float32Array;
  /** Output channels K. */
  channels: number;
  /** Number of windows evaluated. */
  windows: number;
}

/** Window starts along one axis: covering [0, extent) in steps of `stride`, the last flush with the end. */
export function windowStarts(extent: number, window: number, stride: number): number[] {
  if (extent <= window) return [0];
  const starts: number[] = [];
  for (let s = 0; s + window < extent; s += stride) starts.push(s);
  starts.push(extent - window);
  return [...new Set(starts)];
}

function importanceMap(out: readonly number[], blending: Blending, sigmaScale: number): Float64Array {
  const [ox, oy, oz] = [out[0]!, out[1]!, out[2] ?? 1];
  const w = new Float64Array(ox * oy * oz);
  if (blending === 'constant') return w.fill(1);
  const axis = (n: number): Float64Array => {
    const sigma = Math.max(sigmaScale * n, 1e-6);
    const c = (n - 1) / 2;
    return Float64Array.from({ length: n }, (_, i) => Math.exp(-((i - c) ** 2) / (2 * sigma * sigma)));
  };
  const gx = axis(ox);
  const gy = axis(oy);
  const gz = out.length === 3 ? axis(oz) : Float64Array.of(1);
  let max = 0;
  for (let i = 0; i < ox; i++) for (let j = 0; j < oy; j++) for (let k = 0; k < oz; k++) max = Math.max(max, gx[i]! * gy[j]! * gz[k]!);
  let idx = 0;
  // Floored so that border voxels covered by one window only still get a finite, non-zero weight.
  for (let i = 0; i < ox; i++) for (let j = 0; j < oy; j++) for (let k = 0; k < oz; k++) w[idx++] = Math.max((gx[i]! * gy[j]! * gz[k]!) / max, 1e-6);
  return w;
}

/**
 * Sliding-window inference over a whole image `[...spatialShape, C]` (row-major, channels last):
 * windows of `windowSize` tile the image with the given overlap, each window's output (after the
 * activation) is weighted by the importance map and accumulated, and the sum is divided by the
 * accumulated weights. Images smaller than the window are padded. For networks whose output is
 * smaller than their input, the image is padded by the margin so that every voxel is the centre
 * of some output, and windows tile the output space.
 */
export function slidingWindowInference(
  predictor: Predictor,
  image: Float32Array,
  spatialShape: readonly number[],
  options: SlidingWindowOptions,
): SlidingWindowResult {
  const fn = 'slidingWindowInference';
  const rank = spatialShape.length;
  if (rank !== 2 && rank !== 3) throw new Error(`${fn}: spatialShape must have 2 or 3 entries, got [${spatialShape.join(', ')}]`);
  const win = [...options.windowSize];
  if (win.length !== rank || !win.every((w) => Number.isInteger(w) && w > 0)) {
    throw new Error(`${fn}: windowSize must be ${rank} positive integers for a ${rank}D image, got [${win.join(', ')}]`);
  }
  const voxels = spatialShape.reduce((a, v) => a * v, 1);
  if (!spatialShape.every((d) => Number.isInteger(d) && d > 0) || image.length % voxels !== 0 || image.length === 0) {
    throw new Error(`${fn}: image length ${image.length} does not fit spatialShape [${spatialShape.join(', ')}] times channels`);
  }
  const C = image.length / voxels;
  const overlap = options.overlap ?? 0.25;
  if (!(overlap >= 0 && overlap < 1)) throw new Error(`${fn}: overlap must be in [0, 1), got ${overlap}`);
  const out = options.outputShapeFor ? options.outputShapeFor(win) : win;
  if (out.length !== rank || out.some((o, i) => !(o > 0 && o <= win[i]!))) {
    throw new Error(`${fn}: outputShapeFor(windowSize [${win.join(', ')}]) gave [${out.join(', ')}]; expected ${rank} sizes in 1..window`);
  }
  const lo = win.map((w, i) => Math.floor((w - out[i]!) / 2));
  // Work in 3D internally (a 2D image is a 3D one with one slice).
  const D = [spatialShape[0]!, spatialShape[1]!, spatialShape[2] ?? 1];
  const W = [win[0]!, win[1]!, win[2] ?? 1];
  const O = [out[0]!, out[1]!, out[2] ?? 1];
  const L = [lo[0]!, lo[1]!, lo[2] ?? 0];
  // The output grid covers at least one output window.
  const E = D.map((d, i) => Math.max(d, O[i]!));
  const starts = E.map((e, i) => windowStarts(e, O[i]!, Math.max(1, Math.floor(O[i]! * (1 - overlap)))));
  const positions: number[][] = [];
  for (const sx of starts[0]!) for (const sy of starts[1]!) for (const sz of starts[2]!) positions.push([sx, sy, sz]);

  const weights = importanceMap(out, options.blending ?? 'gaussian', options.sigmaScale ?? 0.125);
  const padValue = options.padValue ?? 0;
  const winVoxels = W[0]! * W[1]! * W[2]!;
  const batchSize = options.batchSize ?? Math.max(1, Math.min(4, Math.floor(INFERENCE_WINDOW_VOXELS / winVoxels)));
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`${fn}: batchSize must be a positive integer, got ${batchSize}`);
  const outVoxels = O[0]! * O[1]! * O[2]!;
  let K = 0;
  let acc = new Float64Array(0);
  const wsum = new Float64Array(E[0]! * E[1]! * E[2]!);

  for (let first = 0; first < positions.length; first += batchSize) {
    const group = positions.slice(first, first + batchSize);
    const input = new Float32Array(group.length * winVoxels * C);
    group.forEach((p, n) => gatherWindow(image, D, C, p.map((s, a) => s - L[a]!), W, padValue, input, n * winVoxels * C));
    // The tidy returns the tensor, not its values: tf.tidy walks every key of what it returns looking
    // for tensors, which for a typed array of 2×96³×2 values took seconds (more than the network).
    const probabilities = tf.tidy(() => {
      const x = tf.tensor(input, [group.length, ...win, C]);
      const y = predictor instanceof tf.LayersModel ? (predictor.predict(x) as tf.Tensor) : predictor(x);
      const spatialOut = y.shape.slice(1, -1);
      if (spatialOut.length !== rank || spatialOut.some((s, i) => s !== out[i])) {
        throw new Error(`${fn}: the network returned spatial shape [${spatialOut.join(', ')}] for a window [${win.join(', ')}], expected [${out.join(', ')}] (set outputShapeFor)`);
      }
      const activation = options.activation ?? (y.shape[y.rank - 1]! > 1 ? 'softmax' : 'sigmoid');
      if (activation === 'softmax') return tf.softmax(y);
      if (activation === 'sigmoid') return tf.sigmoid(y);
      // A tensor of this tidy's own: a predictor may return one it keeps (it is disposed below).
      return y.clone();
    });
    let values: Float32Array;
    try {
      values = probabilities.dataSync() as Float32Array;
    } finally {
      probabilities.dispose();
    }
    if (K === 0) {
      K = probabilities.shape[probabilities.rank - 1]!;
      acc = new Float64Array(wsum.length * K);
    }
    group.forEach((p, n) => blendWindow(acc, wsum, E, K, values, n * outVoxels * K, weights, O, p));
  }

  const result = new Float32Array(voxels * K);
  normaliseBlend(acc, wsum, E, K, D, result);
  return { output: result, channels: K, windows: positions.length };
}

/** Per-voxel labels of a `[..., K]` probability map: argmax (K > 1) or probability >= threshold (K = 1). */
export function probabilitiesToLabels(probabilities: Float32Array, channels: number, threshold = 0.5): Int32Array {
  const n = probabilities.length / channels;
  const labels = new Int32Array(n);
  for (let v = 0; v < n; v++) {
    if (channels === 1) {
      labels[v] = probabilities[v]! >= threshold ? 1 : 0;
      continue;
    }
    let best = 0;
    for (let c = 1; c < channels; c++) if (probabilities[v * channels + c]! > probabilities[v * channels + best]!) best = c;
    labels[v] = best;
  }
  return labels;
}

/** Default input-voxel budget of one inference window that `inferenceWindow` grows to cover an image: 2^22 (about 161³). */
export const INFERENCE_WINDOW_VOXELS = 2 ** 22;

/**
 * The inference window for a network trained on `patchSize`.
 * - Networks whose output has the input's size (U-Nets, HighResNet): the patch itself.
 * - Networks whose output is smaller than their input (DeepMedic, TwoPathCNN): every window pays the
 *   network's margin again, so small windows waste most of their work (DeepMedic's 51³ patch yields
 *   3³ voxels). The window is the patch grown by the margin (its output is then as large as a
 *   training patch), and, given `imageShape`, grown further until its output covers the image (one
 *   window), as long as the window holds at most `maxVoxels` input voxels; otherwise the largest
 *   output axes are shrunk until it fits. Sizes are the next ones the network accepts, axis by axis.
 * Measured (DeepMedic at half width, one thread, a 96³ image): 27 windows of 99³ took 39.5 s, one
 * window of 144³ 10.5 s.
 */
export function inferenceWindow(
  patchSize: readonly number[],
  outputShapeFor: (size: readonly number[]) => number[],
  imageShape?: readonly number[],
  maxVoxels = INFERENCE_WINDOW_VOXELS,
): number[] {
  const fn = 'inferenceWindow';
  const out = outputShapeFor(patchSize);
  if (out.every((o, i) => o === patchSize[i])) return [...patchSize];
  if (imageShape !== undefined && (imageShape.length !== patchSize.length || !imageShape.every((d) => Number.isInteger(d) && d > 0))) {
    throw new Error(`${fn}: imageShape [${imageShape.join(', ')}] must be ${patchSize.length} positive integers, as patchSize [${patchSize.join(', ')}]`);
  }
  if (!(maxVoxels > 0)) throw new Error(`${fn}: maxVoxels must be positive, got ${maxVoxels}`);
  const margin = patchSize.map((p, i) => p - out[i]!);
  // The smallest window, along one axis, whose output is at least `want` (others kept at the patch).
  const accepted = (axis: number, want: number): number => {
    for (let w = want + margin[axis]!; w <= want + margin[axis]! + 64; w++) {
      const candidate = patchSize.map((p, i) => (i === axis ? w : p));
      try {
        if (outputShapeFor(candidate)[axis]! >= want) return w;
      } catch {
        // Not an accepted size (e.g. DeepMedic needs multiples of its subsampling factor): try the next.
      }
    }
    return patchSize[axis]!;
  };
  const base = patchSize.map((p, i) => accepted(i, p));
  if (imageShape === undefined) return base;
  const baseOut = base.map((w, i) => w - margin[i]!);
  const want = imageShape.map((d, i) => Math.max(d, baseOut[i]!));
  const windowOf = (): number[] => want.map((o, i) => (o === baseOut[i] ? base[i]! : accepted(i, o)));
  let win = windowOf();
  while (win.reduce((a, v) => a * v, 1) > maxVoxels) {
    const axis = want.reduce((best, o, i) => (o - baseOut[i]! > want[best]! - baseOut[best]! ? i : best), 0);
    if (want[axis]! <= baseOut[axis]!) break;
    want[axis] = Math.max(baseOut[axis]!, Math.floor(want[axis]! * 0.9));
    win = windowOf();
  }
  return win;
}
