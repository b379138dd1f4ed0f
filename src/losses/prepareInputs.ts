import * as tf from '@tensorflow/tfjs';
import type { Activation } from '../common/activation.js';
import { tensorPasses } from '../engine/index.js';

/** Inputs after validation, activation and one-hot encoding, flattened to `[B, S, C]`. */
export interface PreparedInputs {
  /** Probabilities `[B, S, C]` (after the activation), float32. */
  probs: tf.Tensor3D;
  /** Raw yPred `[B, S, C]` (logits when an activation is applied). */
  logits: tf.Tensor3D;
  /** Targets `[B, S, C]`, float32 (one-hot encoded when yTrue was a label map). */
  target: tf.Tensor3D;
  activation: Activation;
  /** Number of channels of yPred. */
  numClasses: number;
  batchSize: number;
  /** Voxels per image. */
  voxels: number;
}

function shapeText(t: tf.Tensor): string {
  return `[${t.shape.join(', ')}]`;
}

/** Throws when a float array holds NaN or ±Inf; names the loss, the argument and the first index. */
function checkFinite(fn: string, what: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) throw new Error(`${fn}: ${what} holds ${v} at flat index ${i}; losses need finite inputs`);
  }
}

/**
 * Validates `(yTrue, yPred)` for a loss and brings them to `[B, S, C]` probabilities and targets.
 * Must be called inside `tf.tidy`.
 */
export function prepareInputs(
  fn: string,
  yTrue: tf.Tensor,
  yPred: tf.Tensor,
  activation: Activation | undefined,
  includeBackground: boolean,
  softLabelsAllowed = true,
  options: { deferValueChecks?: boolean } = {},
): PreparedInputs {
  if (!(yPred instanceof tf.Tensor) || !(yTrue instanceof tf.Tensor)) {
    throw new Error(`${fn}: yTrue and yPred must be tf.Tensor instances, got ${typeof yTrue} and ${typeof yPred}`);
  }
  if (yPred.rank < 3 || yPred.rank > 5) {
    throw new Error(`${fn}: yPred must have rank 3 to 5 ([B, ...spatial, C], 1D to 3D), got shape ${shapeText(yPred)}`);
  }
  if (yTrue.rank !== yPred.rank) {
    throw new Error(`${fn}: yTrue and yPred must have the same rank, got yTrue ${shapeText(yTrue)} and yPred ${shapeText(yPred)}`);
  }
  for (let i = 0; i < yPred.rank - 1; i++) {
    if (yTrue.shape[i] !== yPred.shape[i]) {
      throw new Error(`${fn}: yTrue and yPred differ in batch or spatial size, got yTrue ${shapeText(yTrue)} and yPred ${shapeText(yPred)}`);
    }
  }
  // An empty batch or axis would reach TF.js's reshape as 'The new shape (0,NaN,3) has NaN elements',
  // or give 0, -1 or NaN depending on the loss: refused here, naming the argument and its shape.
  if (yPred.shape[0] === 0) throw new Error(`${fn}: yPred has an empty batch, shape ${shapeText(yPred)}; a loss needs at least one image`);
  for (const [name, t] of [['yPred', yPred], ['yTrue', yTrue]] as const) {
    const axis = t.shape.findIndex((n, i) => i > 0 && n === 0);
    if (axis > 0) {
      const what = axis === t.rank - 1 ? 'no channel' : `a zero-size spatial axis (axis ${axis})`;
      throw new Error(`${fn}: ${name} has ${what}, shape ${shapeText(t)}; a loss needs at least one voxel and one channel`);
    }
  }
  const numClasses = yPred.shape[yPred.rank - 1]!;
  const trueChannels = yTrue.shape[yTrue.rank - 1]!;
  const labelMap = trueChannels === 1 && numClasses > 1;
  if (!labelMap && trueChannels !== numClasses) {
    throw new Error(
      `${fn}: yTrue must have yPred's shape (one-hot) or one channel (label map), got yTrue ${shapeText(yTrue)} and yPred ${shapeText(yPred)}`,
    );
  }
  if (yPred.dtype !== 'float32') throw new Error(`${fn}: yPred must be float32, got ${yPred.dtype}`);
  const resolved: Activation = activation ?? (numClasses > 1 ? 'softmax' : 'sigmoid');
  if (numClasses === 1 && resolved === 'softmax') {
    throw new Error(`${fn}: activation 'softmax' on a single-channel prediction ${shapeText(yPred)} is always 1; use 'sigmoid' or 'none'`);
  }
  if (numClasses === 1 && !includeBackground) {
    throw new Error(`${fn}: includeBackground: false needs at least 2 channels, got yPred ${shapeText(yPred)}`);
  }
  // With a one-hot target, the logits and the target can be checked by the caller's kernel while it reads
  // them (`deferValueChecks`: the fused softmax-overlap kernel), which then calls checkInputValues only when
  // its check failed or could not run. A label map is checked here either way: its one-hot encoding hides
  // out-of-range labels.
  if (!options.deferValueChecks || labelMap) checkInputValues(fn, yTrue, yPred, softLabelsAllowed);

  const batchSize = yPred.shape[0]!;
  const voxels = yPred.size / (batchSize * numClasses);
  const logits = tf.reshape(yPred, [batchSize, voxels, numClasses]) as tf.Tensor3D;
  const probs =
    resolved === 'softmax' ? tf.softmax(logits) : resolved === 'sigmoid' ? tf.sigmoid(logits) : logits;
  const target = labelMap
    ? (tf.oneHot(tf.reshape(tf.cast(yTrue, 'int32'), [batchSize, voxels]), numClasses).toFloat() as tf.Tensor3D)
    : (tf.reshape(tf.cast(yTrue, 'float32'), [batchSize, voxels, numClasses]) as tf.Tensor3D);
  return { probs, logits, target, activation: resolved, numClasses, batchSize, voxels };
}

/**
 * The value checks of `prepareInputs`: yPred finite, yTrue a label map of integers 0..C−1 (one channel
 * against C) or labels in [0, 1] (hard 0/1 unless `softLabelsAllowed`). Throws naming the loss, the
 * argument and the first bad value. Shapes must have passed `prepareInputs`'s checks.
 */
export function checkInputValues(fn: string, yTrue: tf.Tensor, yPred: tf.Tensor, softLabelsAllowed = true): void {
  const numClasses = yPred.shape[yPred.rank - 1]!;
  const labelMap = yTrue.shape[yTrue.rank - 1] === 1 && numClasses > 1;
  // The engine's native scans of the tensors' own arrays (no readback; undefined where there are none) skip
  // the loops when nothing is wrong; the loops find the first bad value and name it.
  if (tensorPasses(yPred, 'finite') !== true) checkFinite(fn, 'yPred', yPred.dataSync());
  checkTargetValues(fn, yTrue, numClasses, labelMap, softLabelsAllowed);
}

function checkTargetValues(fn: string, yTrue: tf.Tensor, numClasses: number, labelMap: boolean, softLabelsAllowed: boolean): void {
  const clean = labelMap
    ? tensorPasses(yTrue, 'label', numClasses) === true
    : tensorPasses(yTrue, softLabelsAllowed ? 'unitInterval' : 'binary') === true;
  const trueValues = clean ? [] : yTrue.dataSync();
  if (clean) {
    // nothing to report
  } else if (labelMap) {
    for (let i = 0; i < trueValues.length; i++) {
      const v = trueValues[i]!;
      if (!Number.isInteger(v) || v < 0 || v >= numClasses) {
        throw new Error(
          `${fn}: label map yTrue ${shapeText(yTrue)} must hold integers 0..${numClasses - 1} for ${numClasses} classes, got ${v} at flat index ${i}`,
        );
      }
    }
  } else {
    for (let i = 0; i < trueValues.length; i++) {
      const v = trueValues[i]!;
      if (!(v >= 0 && v <= 1)) {
        throw new Error(`${fn}: yTrue ${shapeText(yTrue)} must hold labels in [0, 1], got ${v} at flat index ${i}`);
      }
      if (!softLabelsAllowed && v !== 0 && v !== 1) {
        throw new Error(`${fn}: yTrue must hold hard labels 0 or 1, got ${v} at flat index ${i}`);
      }
    }
  }
}
