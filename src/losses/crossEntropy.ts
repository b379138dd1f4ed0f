import * as tf from '@tensorflow/tfjs';
import type { PreparedInputs } from './prepareInputs.js';

/** How a cross-entropy-type loss weighs and modulates its terms. */
export interface CrossEntropyTerms {
  /** Compute log-probabilities from the logits (log-softmax / log-sigmoid) instead of log(clip(p)). */
  fromLogits: boolean;
  /** Probability clipping for log(p) when not from logits. */
  epsilon: number;
  /** Focal modulation exponent γ (0: plain cross-entropy). */
  gamma: number;
  /** Drop channel 0's terms. */
  includeBackground: boolean;
  /** Pool over the batch: one value instead of one per image. */
  batch: boolean;
  /**
   * Weights of the positive terms r·log p, `[rows, C]` (rows = B, or 1 with `batch`), constant for
   * the gradient; undefined means 1.
   */
  positiveWeights?: Float32Array | undefined;
  /** Binary form only: weights of the negative terms (1-r)·log(1-p), `[rows, C]`; undefined means 1. */
  negativeWeights?: Float32Array | undefined;
}

/** True when the inputs are read as independent binary channels rather than one categorical distribution. */
export function isBinaryForm(input: PreparedInputs): boolean {
  return input.activation === 'sigmoid' || input.numClasses === 1;
}

function weightTensor(values: Float32Array | undefined, rows: number, classes: number): tf.Tensor | undefined {
  return values === undefined ? undefined : tf.reshape(tf.tensor1d(values), [rows, 1, classes]);
}

/**
 * Mean (weighted, optionally focal) cross-entropy per image (`[B]`, or `[]` with `batch`):
 * - categorical: -(1/N) Σ_n Σ_l a_l (1 - p_ln)^γ r_ln log p_ln;
 * - binary (sigmoid or one channel): -(1/(N·C)) Σ_n Σ_c [a_c (1-p)^γ r log p + b_c p^γ (1-r) log(1-p)].
 * Must be called inside `tf.tidy`.
 */
export function crossEntropyPerImage(input: PreparedInputs, t: CrossEntropyTerms): tf.Tensor {
  const { probs, logits, target, numClasses, batchSize } = input;
  const rows = t.batch ? 1 : batchSize;
  const keep = (x: tf.Tensor3D): tf.Tensor3D => {
    if (t.includeBackground) return x;
    const [b, s, c] = x.shape;
    return tf.slice(x, [0, 0, 1], [b, s, c - 1]);
  };
  const keptClasses = t.includeBackground ? numClasses : numClasses - 1;
  const posW = weightTensor(t.positiveWeights, rows, numClasses);
  const negW = weightTensor(t.negativeWeights, rows, numClasses);
  let perVoxel: tf.Tensor3D;
  if (isBinaryForm(input)) {
    // log σ(x) = -softplus(-x) and log(1 - σ(x)) = -softplus(x). (tf.logSigmoid's gradient closes over
    // its input instead of saving it, which fails once an enclosing tidy has disposed that input.)
    const logP = t.fromLogits ? tf.neg(tf.softplus(tf.neg(logits))) : tf.log(tf.clipByValue(probs, t.epsilon, 1));
    const log1mP = t.fromLogits ? tf.neg(tf.softplus(logits)) : tf.log(tf.clipByValue(tf.sub(1, probs), t.epsilon, 1));
    let pos: tf.Tensor = tf.mul(target, logP);
    let neg: tf.Tensor = tf.mul(tf.sub(1, target), log1mP);
    if (t.gamma !== 0) {
      pos = tf.mul(pos, tf.pow(tf.sub(1, probs), t.gamma));
      neg = tf.mul(neg, tf.pow(probs, t.gamma));
    }
    if (posW !== undefined) pos = tf.mul(pos, posW);
    if (negW !== undefined) neg = tf.mul(neg, negW);
    perVoxel = keep(tf.add(pos, neg) as tf.Tensor3D);
    const sums = t.batch ? tf.sum(perVoxel) : tf.sum(perVoxel, [1, 2]);
    return tf.div(tf.neg(sums), (t.batch ? batchSize : 1) * input.voxels * keptClasses);
  }
  const logP = t.fromLogits ? tf.logSoftmax(logits) : tf.log(tf.clipByValue(probs, t.epsilon, 1));
  let term: tf.Tensor = tf.mul(target, logP);
  if (t.gamma !== 0) term = tf.mul(term, tf.pow(tf.sub(1, probs), t.gamma));
  if (posW !== undefined) term = tf.mul(term, posW);
  perVoxel = keep(term as tf.Tensor3D);
  const sums = t.batch ? tf.sum(perVoxel) : tf.sum(perVoxel, [1, 2]);
  return tf.div(tf.neg(sums), (t.batch ? batchSize : 1) * input.voxels);
}

/** Column sums of a `[B, S, C]` tensor per image (`[B·C]`), or pooled (`[C]`), as float64. */
export function volumes(t: tf.Tensor3D, batch: boolean): Float64Array {
  const [B, S, C] = t.shape;
  const v = t.dataSync();
  const rows = batch ? 1 : B;
  const out = new Float64Array(rows * C);
  for (let b = 0; b < B; b++) {
    const row = batch ? 0 : b;
    for (let i = 0; i < S; i++) {
      const base = (b * S + i) * C;
      for (let c = 0; c < C; c++) out[row * C + c]! += v[base + c]!;
    }
  }
  return out;
}
