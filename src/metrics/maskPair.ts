import { boolean, finiteNumber, formatValue, integer, oneOf } from '../common/options.js';
import { argmaxChannels, firstNonBinary, firstNonInteger, firstOutsideUnitInterval, thresholdValues } from './binarization.js';
import { jointByteHistograms } from './jointHistogram.js';
import { isIntegerTyped, readInput, shapeString, type MaskInput } from './maskInput.js';
import { BINARIZE_MODES, EMPTY_POLICIES, type EmptyPolicy, type MaskOptions } from './metricOptions.js';
import type { Binarization } from './metricResult.js';

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


/**
 * Validates a (prediction, reference) pair and turns it into hard masks.
 * `defaultIncludeBackground` is the metric's MONAI default.
 */
export function normalizePair(metric: string, prediction: MaskInput, reference: MaskInput, options: MaskOptions, defaultIncludeBackground: boolean): MaskPair {
  const emptyPolicy = oneOf(metric, 'emptyPolicy', options.emptyPolicy ?? 'nan', EMPTY_POLICIES);
  const mode = oneOf(metric, 'binarize', options.binarize ?? 'auto', BINARIZE_MODES);
  const threshold = finiteNumber(metric, 'threshold', options.threshold ?? 0.5);
  const includeBackground = boolean(metric, 'includeBackground', options.includeBackground ?? defaultIncludeBackground);
  if (options.numClasses !== undefined) integer(metric, 'numClasses', options.numClasses, { min: 1 });

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
    if (mode === 'auto') {
      // Fractions mean probabilities, to threshold; but a fraction beside a value outside [0, 1] (a
      // label map holding 1.5) is neither a label map nor probabilities, and is refused.
      const fraction = firstNonInteger(pred.data);
      const outside = fraction >= 0 ? firstOutsideUnitInterval(pred.data) : -1;
      if (outside >= 0) {
        const at = (i: number): string => `${formatValue(pred.data[i])} at index ${i}`;
        throw new Error(
          `${metric}: prediction holds ${fraction === outside ? at(fraction) : `${at(fraction)} and ${at(outside)}`}; ` +
            "a single-channel prediction is a label map (integers >= 0) or probabilities in [0, 1] (set binarize 'threshold' to threshold it anyway)",
        );
      }
      effective = fraction >= 0 ? 'threshold' : 'none';
    }
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

