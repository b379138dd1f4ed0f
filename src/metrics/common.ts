import type { Tensor } from '@tensorflow/tfjs';
import { didYouMean } from '../common/index.js';

/** A plain array (any typed array or number[]) with its shape, row-major, channels last. */
export interface ArrayWithShape {
  data: ArrayLike<number>;
  shape: readonly number[];
}

/** A segmentation input: `[B, H, W, C]` or `[B, D, H, W, C]`; `C = 1` label map, `C > 1` one mask per channel. */
export type MaskInput = Tensor | ArrayWithShape;

/** What a metric returns for empty masks; see docs/metrics.md for the table per metric. */
export type EmptyPolicy = 'nan' | 'one' | 'worst';
export const EMPTY_POLICIES: readonly EmptyPolicy[] = ['nan', 'one', 'worst'];

/** How the prediction is turned into hard masks. */
export type BinarizeMode = 'auto' | 'argmax' | 'threshold' | 'none';
export const BINARIZE_MODES: readonly BinarizeMode[] = ['auto', 'argmax', 'threshold', 'none'];

/** How the prediction was actually turned into masks (stated in every result). */
export type Binarization = 'none' | 'argmax' | 'threshold';

/** Options shared by every metric. */
export interface MaskOptions {
  /** Number of classes. Default: C of a one-hot input, else max label + 1 over both maps (at least 2). */
  numClasses?: number;
  /** Whether class 0 is scored. Default per metric (true for overlap metrics, false for boundary ones). */
  includeBackground?: boolean;
  /** How probabilities become masks. Default 'auto'. */
  binarize?: BinarizeMode;
  /** Threshold for 'threshold' binarisation (value >= threshold is foreground). Default 0.5. */
  threshold?: number;
  /** Empty-case policy. Default 'nan'. */
  emptyPolicy?: EmptyPolicy;
}

/** Voxel size in mm: one number (isotropic) or one per spatial axis, in the order of the shape. */
export interface SpacingOptions {
  spacing?: number | readonly number[];
}

/** One number per image and scored class, and how it was obtained. */
export interface MetricResult {
  metric: string;
  /** `[B][classes.length]`; NaN where the metric is undefined under the policy. */
  values: number[][];
  /** The class index of each column; -1 for a column that pools classes (generalizedDiceScore). */
  classes: number[];
  /** The classes pooled into a -1 column. */
  pooledClasses?: number[];
  binarization: Binarization;
  threshold?: number;
  emptyPolicy: EmptyPolicy;
}

/** Hard masks of one input after normalisation: a label map or one 0/1 channel per class. */
export type HardMasks =
  | { kind: 'labels'; data: ArrayLike<number> }
  | { kind: 'channels'; data: ArrayLike<number>; channels: number };

/** A validated (prediction, reference) pair. */
export interface MaskPair {
  metric: string;
  /** The prediction's shape, for messages. */
  shape: number[];
  batch: number;
  /** Spatial shape, e.g. `[D, H, W]`. */
  spatial: number[];
  /** Voxels per image. */
  voxels: number;
  numClasses: number;
  classes: number[];
  binarization: Binarization;
  threshold?: number;
  emptyPolicy: EmptyPolicy;
  prediction: HardMasks;
  reference: HardMasks;
  /** For two byte label maps: per image, counts of (prediction label << 8 | reference label). */
  jointHistograms?: Int32Array[];
}

const COMMON_KEYS = ['numClasses', 'includeBackground', 'binarize', 'threshold', 'emptyPolicy'] as const;

export function shapeString(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/** Throws when `options` holds a key that is not in `allowed`, suggesting the nearest valid name. */
export function checkOptionKeys(metric: string, options: object, allowed: readonly string[]): void {
  const all = [...COMMON_KEYS, ...allowed];
  for (const key of Object.keys(options)) {
    if (!all.includes(key)) throw new Error(`${metric}: unknown option '${key}'${didYouMean(key, all)}`);
  }
}

export function checkChoice<T extends string>(metric: string, option: string, value: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(value)) {
    throw new Error(`${metric}: ${option} '${value}' is not valid${didYouMean(value, choices)}`);
  }
  return value as T;
}

function isTensor(x: MaskInput): x is Tensor {
  return typeof (x as Tensor).dataSync === 'function';
}

/** Reads a tensor once (dataSync) or checks an array-with-shape; validates rank and length. */
export function readInput(metric: string, name: string, input: MaskInput): { data: ArrayLike<number>; shape: number[] } {
  if (input === null || typeof input !== 'object') throw new Error(`${metric}: ${name} must be a tensor or { data, shape }, got ${String(input)}`);
  let data: ArrayLike<number>;
  let shape: number[];
  if (isTensor(input)) {
    if (input.dtype === 'string' || input.dtype === 'complex64') throw new Error(`${metric}: ${name} has dtype ${input.dtype}; expected a numeric tensor`);
    data = input.dataSync() as ArrayLike<number>;
    shape = [...input.shape];
  } else {
    if (input.data === undefined || input.shape === undefined) throw new Error(`${metric}: ${name} must be a tensor or { data, shape }`);
    data = input.data;
    shape = [...input.shape];
  }
  if (shape.length !== 4 && shape.length !== 5) {
    throw new Error(`${metric}: ${name} must be [B,H,W,C] (2D) or [B,D,H,W,C] (3D), got shape ${shapeString(shape)}`);
  }
  for (const n of shape) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`${metric}: ${name} has an invalid shape ${shapeString(shape)}`);
  }
  const size = shape.reduce((a, b) => a * b, 1);
  if (data.length !== size) {
    throw new Error(`${metric}: ${name} has ${data.length} values but shape ${shapeString(shape)} needs ${size}`);
  }
  return { data, shape };
}

const INTEGER_ARRAYS = [Uint8Array, Uint8ClampedArray, Int8Array, Uint16Array, Int16Array, Uint32Array, Int32Array];
function isIntegerTyped(data: ArrayLike<number>): boolean {
  return INTEGER_ARRAYS.some((T) => data instanceof T);
}

/** Largest label of a label map; throws on NaN, negative or non-integer values. */
function scanLabels(metric: string, name: string, data: ArrayLike<number>): number {
  if (data instanceof Uint8Array) {
    // The common case for large label maps: no sign, NaN or fraction to check, only the maximum.
    let m = 0;
    for (let i = 0; i < data.length; i++) if (data[i]! > m) m = data[i]!;
    return m;
  }
  let max = 0;
  const integerTyped = isIntegerTyped(data);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v > max) max = v;
    else if (!(v >= 0)) throw new Error(`${metric}: ${name} holds the label ${v} at index ${i}; labels must be integers >= 0`);
    if (!integerTyped && !Number.isInteger(v)) {
      throw new Error(`${metric}: ${name} holds the non-integer label ${v} at index ${i}`);
    }
  }
  return max;
}

/** Index of the first value that is not 0 or 1, or -1. */
function firstNonBinary(data: ArrayLike<number>): number {
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v !== 0 && v !== 1) return i;
  }
  return -1;
}

function firstNonInteger(data: ArrayLike<number>): number {
  if (isIntegerTyped(data)) return -1;
  for (let i = 0; i < data.length; i++) if (!Number.isInteger(data[i]!)) return i;
  return -1;
}

function argmaxChannels(metric: string, data: ArrayLike<number>, channels: number): Uint8Array | Uint16Array {
  const n = data.length / channels;
  const out = channels <= 256 ? new Uint8Array(n) : new Uint16Array(n);
  for (let i = 0, o = 0; i < n; i++, o += channels) {
    let best = 0;
    let bestValue = data[o]!;
    if (Number.isNaN(bestValue)) throw new Error(`${metric}: prediction holds NaN at index ${o}`);
    for (let c = 1; c < channels; c++) {
      const v = data[o + c]!;
      if (v > bestValue) {
        bestValue = v;
        best = c;
      } else if (Number.isNaN(v)) throw new Error(`${metric}: prediction holds NaN at index ${o + c}`);
    }
    out[i] = best;
  }
  return out;
}

function thresholdValues(metric: string, data: ArrayLike<number>, threshold: number): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (Number.isNaN(v)) throw new Error(`${metric}: prediction holds NaN at index ${i}`);
    out[i] = v >= threshold ? 1 : 0;
  }
  return out;
}

/** Checks `spacing` against the spatial rank; returns one positive finite number per axis. */
export function resolveSpacing(metric: string, spacing: number | readonly number[] | undefined, spatial: readonly number[], shape: readonly number[]): number[] {
  const dims = spatial.length;
  const list = spacing === undefined ? new Array<number>(dims).fill(1) : typeof spacing === 'number' ? new Array<number>(dims).fill(spacing) : [...spacing];
  if (list.length !== dims) {
    throw new Error(`${metric}: spacing has ${list.length} entries for a ${dims}D mask ${shapeString(shape)}; expected ${dims} (one per spatial axis) or one number`);
  }
  for (const s of list) {
    if (typeof s !== 'number' || !Number.isFinite(s) || s <= 0) throw new Error(`${metric}: spacing must hold finite positive numbers (mm), got [${list.join(',')}]`);
  }
  return list;
}

/**
 * Validates a (prediction, reference) pair and turns it into hard masks.
 * `defaultIncludeBackground` is the metric's MONAI default.
 */
export function normalizePair(metric: string, prediction: MaskInput, reference: MaskInput, options: MaskOptions, defaultIncludeBackground: boolean): MaskPair {
  const emptyPolicy = checkChoice(metric, 'emptyPolicy', options.emptyPolicy ?? 'nan', EMPTY_POLICIES);
  const mode = checkChoice(metric, 'binarize', options.binarize ?? 'auto', BINARIZE_MODES);
  const threshold = options.threshold ?? 0.5;
  if (typeof threshold !== 'number' || !Number.isFinite(threshold)) throw new Error(`${metric}: threshold must be a finite number, got ${String(threshold)}`);
  const includeBackground = options.includeBackground ?? defaultIncludeBackground;
  if (typeof includeBackground !== 'boolean') throw new Error(`${metric}: includeBackground must be true or false, got ${String(includeBackground)}`);
  if (options.numClasses !== undefined && (!Number.isInteger(options.numClasses) || options.numClasses < 1)) {
    throw new Error(`${metric}: numClasses must be a positive integer, got ${options.numClasses}`);
  }

  const pred = readInput(metric, 'prediction', prediction);
  const ref = readInput(metric, 'reference', reference);
  const spatialP = pred.shape.slice(0, -1);
  const spatialR = ref.shape.slice(0, -1);
  if (spatialP.length !== spatialR.length || spatialP.some((n, i) => n !== spatialR[i])) {
    throw new Error(`${metric}: prediction ${shapeString(pred.shape)} and reference ${shapeString(ref.shape)} differ in batch or spatial shape`);
  }
  const batch = pred.shape[0]!;
  const spatial = pred.shape.slice(1, -1);
  const voxels = spatial.reduce((a, b) => a * b, 1);
  const cP = pred.shape[pred.shape.length - 1]!;
  const cR = ref.shape[ref.shape.length - 1]!;
  if (cP > 1 && cR > 1 && cP !== cR) {
    throw new Error(`${metric}: prediction has ${cP} channels and reference ${cR}; one-hot inputs must agree`);
  }

  // Prediction → hard masks.
  let binarization: Binarization = 'none';
  let predMasks: HardMasks;
  if (cP === 1) {
    let effective = mode;
    if (mode === 'argmax') throw new Error(`${metric}: binarize 'argmax' needs C > 1 channels, got prediction ${shapeString(pred.shape)}`);
    if (mode === 'auto') effective = firstNonInteger(pred.data) >= 0 ? 'threshold' : 'none';
    if (effective === 'threshold') {
      if (options.numClasses !== undefined && options.numClasses !== 2) {
        throw new Error(`${metric}: a thresholded single-channel prediction has 2 classes, but numClasses is ${options.numClasses}`);
      }
      predMasks = { kind: 'labels', data: thresholdValues(metric, pred.data, threshold) };
      binarization = 'threshold';
    } else {
      predMasks = { kind: 'labels', data: pred.data };
    }
  } else {
    let effective = mode;
    if (mode === 'auto') effective = firstNonBinary(pred.data) >= 0 ? 'argmax' : 'none';
    if (effective === 'argmax') {
      predMasks = { kind: 'labels', data: argmaxChannels(metric, pred.data, cP) };
      binarization = 'argmax';
    } else if (effective === 'threshold') {
      predMasks = { kind: 'channels', data: thresholdValues(metric, pred.data, threshold), channels: cP };
      binarization = 'threshold';
    } else {
      const bad = firstNonBinary(pred.data);
      if (bad >= 0) throw new Error(`${metric}: prediction holds ${pred.data[bad]} at index ${bad}; with binarize 'none' a ${cP}-channel prediction must be 0/1`);
      predMasks = { kind: 'channels', data: pred.data, channels: cP };
    }
  }

  // Reference: hard labels only.
  let refMasks: HardMasks;
  if (cR === 1) {
    refMasks = { kind: 'labels', data: ref.data };
  } else {
    const bad = firstNonBinary(ref.data);
    if (bad >= 0) throw new Error(`${metric}: reference holds ${ref.data[bad]} at index ${bad}; a ${cR}-channel reference must be one-hot 0/1`);
    refMasks = { kind: 'channels', data: ref.data, channels: cR };
  }

  // Class count: declared, or from a one-hot input, or from the largest label.
  const oneHotChannels = predMasks.kind === 'channels' ? predMasks.channels : refMasks.kind === 'channels' ? refMasks.channels : cP > 1 ? cP : undefined;
  let numClasses = options.numClasses;
  if (oneHotChannels !== undefined && numClasses !== undefined && numClasses !== oneHotChannels) {
    throw new Error(`${metric}: numClasses is ${numClasses} but the one-hot input has ${oneHotChannels} channels`);
  }
  let maxPred = 0;
  let maxRef = 0;
  let joint: Int32Array[] | undefined;
  if (predMasks.kind === 'labels' && refMasks.kind === 'labels' && predMasks.data instanceof Uint8Array && refMasks.data instanceof Uint8Array) {
    // Byte label maps (the large-volume case): one pass builds a joint histogram per image, which both
    // validates the labels and later gives every confusion count.
    joint = jointByteHistograms(predMasks.data, refMasks.data, batch, voxels);
    for (const h of joint) {
      for (let i = 0; i < 65536; i++) {
        if (h[i] !== 0) {
          maxPred = Math.max(maxPred, i >> 8);
          maxRef = Math.max(maxRef, i & 255);
        }
      }
    }
  } else {
    if (predMasks.kind === 'labels') maxPred = scanLabels(metric, 'prediction', predMasks.data);
    if (refMasks.kind === 'labels') maxRef = scanLabels(metric, 'reference', refMasks.data);
  }
  numClasses ??= oneHotChannels ?? Math.max(2, maxPred + 1, maxRef + 1);
  if (maxRef >= numClasses) throw new Error(`${metric}: reference holds the label ${maxRef}, beyond numClasses ${numClasses} (labels 0..${numClasses - 1})`);
  if (maxPred >= numClasses) throw new Error(`${metric}: prediction holds the label ${maxPred}, beyond numClasses ${numClasses} (labels 0..${numClasses - 1})`);

  const classes: number[] = [];
  for (let c = includeBackground ? 0 : 1; c < numClasses; c++) classes.push(c);
  if (classes.length === 0) throw new Error(`${metric}: no class to score (numClasses ${numClasses}, includeBackground false)`);

  const pair: MaskPair = { metric, shape: pred.shape, batch, spatial, voxels, numClasses, classes, binarization, emptyPolicy, prediction: predMasks, reference: refMasks };
  if (binarization === 'threshold') pair.threshold = threshold;
  if (joint !== undefined) pair.jointHistograms = joint;
  return pair;
}

function jointByteHistograms(p: Uint8Array, r: Uint8Array, batch: number, voxels: number): Int32Array[] {
  const out: Int32Array[] = [];
  for (let b = 0; b < batch; b++) {
    const h = new Int32Array(65536);
    for (let i = b * voxels, end = i + voxels; i < end; i++) h[(p[i]! << 8) | r[i]!]!++;
    out.push(h);
  }
  return out;
}

/** Writes the mask of class `c` of image `b` into `out` (length = voxels); returns its voxel count. */
export function extractMask(masks: HardMasks, voxels: number, b: number, c: number, out: Uint8Array): number {
  let count = 0;
  const data = masks.data;
  if (masks.kind === 'labels') {
    const base = b * voxels;
    for (let i = 0; i < voxels; i++) {
      const m = data[base + i] === c ? 1 : 0;
      out[i] = m;
      count += m;
    }
  } else {
    const C = masks.channels;
    let o = b * voxels * C + c;
    for (let i = 0; i < voxels; i++, o += C) {
      const m = data[o] !== 0 ? 1 : 0;
      out[i] = m;
      count += m;
    }
  }
  return count;
}

/** Per-class confusion counts of one image. */
export interface ConfusionCounts {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

/** Confusion counts `[B][numClasses]` (every class, including background), in one pass per image for two label maps. */
export function confusionCounts(pair: MaskPair): ConfusionCounts[][] {
  const { batch, voxels, numClasses, prediction: P, reference: R } = pair;
  const out: ConfusionCounts[][] = [];
  for (let b = 0; b < batch; b++) {
    const tp = new Float64Array(numClasses);
    const nP = new Float64Array(numClasses);
    const nR = new Float64Array(numClasses);
    const hist = pair.jointHistograms?.[b];
    if (hist !== undefined) {
      for (let a = 0; a < numClasses; a++) {
        for (let c = 0; c < numClasses; c++) {
          const n = hist[(a << 8) | c]!;
          nP[a] = nP[a]! + n;
          nR[c] = nR[c]! + n;
          if (a === c) tp[a] = n;
        }
      }
    } else if (P.kind === 'labels' && R.kind === 'labels') {
      const p = P.data;
      const r = R.data;
      const base = b * voxels;
      // One increment per voxel into a joint (prediction, reference) histogram; labels are validated.
      const joint = new Int32Array(numClasses * numClasses);
      for (let i = base, end = base + voxels; i < end; i++) joint[p[i]! * numClasses + r[i]!]!++;
      for (let a = 0; a < numClasses; a++) {
        for (let c = 0; c < numClasses; c++) {
          const n = joint[a * numClasses + c]!;
          nP[a] = nP[a]! + n;
          nR[c] = nR[c]! + n;
          if (a === c) tp[a] = n;
        }
      }
    } else {
      const mp = new Uint8Array(voxels);
      const mr = new Uint8Array(voxels);
      for (let c = 0; c < numClasses; c++) {
        nP[c] = extractMask(P, voxels, b, c, mp);
        nR[c] = extractMask(R, voxels, b, c, mr);
        let t = 0;
        for (let i = 0; i < voxels; i++) t += mp[i]! & mr[i]!;
        tp[c] = t;
      }
    }
    const row: ConfusionCounts[] = [];
    for (let c = 0; c < numClasses; c++) {
      const t = tp[c]!;
      const fp = nP[c]! - t;
      const fn = nR[c]! - t;
      row.push({ tp: t, fp, fn, tn: voxels - t - fp - fn });
    }
    out.push(row);
  }
  return out;
}

export function baseResult(pair: MaskPair, values: number[][], classes: number[] = pair.classes): MetricResult {
  const result: MetricResult = { metric: pair.metric, values, classes, binarization: pair.binarization, emptyPolicy: pair.emptyPolicy };
  if (pair.threshold !== undefined) result.threshold = pair.threshold;
  return result;
}

/**
 * The q-th percentile (0..100) of `values`, interpolating linearly between order statistics
 * (numpy.percentile's default). Sorts `values` in place. NaN for an empty array.
 */
export function linearPercentile(values: Float64Array, q: number): number {
  const n = values.length;
  if (n === 0) return NaN;
  values.sort();
  const h = ((n - 1) * q) / 100;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  const a = values[lo]!;
  const b = values[hi]!;
  return a + (h - lo) * (b - a);
}
