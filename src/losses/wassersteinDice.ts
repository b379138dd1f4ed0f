import * as tf from '@tensorflow/tfjs';
import { OptionReader } from '../common/options.js';
import { type LossFunction, makeLoss } from './lossFunction.js';
import { prepareInputs } from './prepareInputs.js';
import { reduce } from './reduction.js';
import { readSharedOptions, SHARED_OPTION_NAMES, type SharedLossOptions } from './sharedOptions.js';

/** How α weighs the classes: the paper's (α_l = M[l][0]) or the Generalised Dice's (1/(V_l + 1)). */
export const WASSERSTEIN_WEIGHTINGS = ['paper', 'gdl'] as const;
export type WassersteinWeighting = (typeof WASSERSTEIN_WEIGHTINGS)[number];

export interface GeneralizedWassersteinDiceLossOptions extends SharedLossOptions {
  /**
   * C×C distances between classes (class 0 is the background), M[l][l] = 0, entries ≥ 0; divided by
   * its largest entry. Default: 1 off the diagonal (then GWDL with two classes is the foreground Dice loss).
   */
  distanceMatrix?: number[][];
  /** 'paper' (default): α_l = M[l][0] for l > 0, α_0 = 0; 'gdl': α_l = 1/(V_l + 1) (Fidon's code, MONAI 'GDL'). */
  weighting?: WassersteinWeighting;
  /** Added to the numerator. Default 1e-5. */
  smoothNr?: number;
  /** Added to the denominator. Default 1e-5. */
  smoothDr?: number;
}

const optionNames = [...SHARED_OPTION_NAMES, 'distanceMatrix', 'weighting', 'smoothNr', 'smoothDr'];

/** Checks a class distance matrix and returns it divided by its largest entry, row-major. */
function checkDistanceMatrix(fn: string, raw: unknown): { size: number; values: Float32Array } {
  const shape = `got ${JSON.stringify(raw)}`;
  if (!Array.isArray(raw) || raw.length < 2 || raw.some((row) => !Array.isArray(row) || row.length !== raw.length)) {
    throw new Error(`${fn}: distanceMatrix must be a square array of at least 2×2 numbers; ${shape}`);
  }
  const C = raw.length;
  const values = new Float32Array(C * C);
  let max = 0;
  (raw as unknown[][]).forEach((row, l) =>
    row.forEach((v, m) => {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
        throw new Error(`${fn}: distanceMatrix[${l}][${m}] must be a finite number >= 0; got ${typeof v === 'number' ? String(v) : JSON.stringify(v)}`);
      }
      if (l === m && v !== 0) throw new Error(`${fn}: distanceMatrix[${l}][${l}] must be 0 (a class is at distance 0 from itself); got ${v}`);
      values[l * C + m] = v;
      max = Math.max(max, v);
    }),
  );
  if (max === 0) throw new Error(`${fn}: distanceMatrix must hold a positive distance; got all zeros`);
  for (let i = 0; i < values.length; i++) values[i] = values[i]! / max;
  return { size: C, values };
}

function uniformDistances(C: number): Float32Array {
  return Float32Array.from({ length: C * C }, (_, i) => (Math.floor(i / C) === i % C ? 0 : 1));
}

/**
 * Generalised Wasserstein Dice loss (Fidon et al., BrainLes 2017, "Generalised Wasserstein Dice Score
 * for imbalanced multi-class segmentation using holistic convolutional networks"), per image:
 *
 *   W_i  = Σ_l M[g_i][l] p_il                        (Wasserstein distance of voxel i to its true class g_i)
 *   'paper':  TP = Σ_i α_{g_i} (α_{g_i} − W_i),   D = 2 TP + Σ_i W_i,   α_l = M[l][0] (l > 0), α_0 = 0
 *   'gdl':    TP = Σ_i α_{g_i} (1 − W_i),         D = Σ_i α_{g_i} (2 − W_i),   α_l = 1/(V_l + 1)
 *   GWDL = 1 − (2 TP + smoothNr) / (D + smoothDr)
 *
 * with M the class distance matrix divided by its largest entry and V_l the reference volume of class
 * l. With M = 1 − I and two classes it equals the foreground Dice loss. Each image has its own sums
 * (MONAI 1.5 mixes the images of a batch: its issue 4650); `batch: true` pools them over the batch.
 * Targets are label maps or hard one-hot (a soft target has no closed-form Wasserstein distance).
 * `includeBackground: false` is refused: the background enters through α and M.
 */
export function generalizedWassersteinDiceLoss(options: GeneralizedWassersteinDiceLossOptions = {}): LossFunction {
  const fn = 'generalizedWassersteinDiceLoss';
  const check = new OptionReader(fn, options, optionNames);
  const shared = readSharedOptions(check);
  if (!shared.includeBackground) {
    throw new Error(`${fn}: includeBackground: false is not supported; the background is weighted through the distance matrix (α_0 = 0)`);
  }
  const weighting = check.oneOf('weighting', WASSERSTEIN_WEIGHTINGS, 'paper');
  const smoothNr = check.number('smoothNr', 1e-5, { min: 0 });
  const smoothDr = check.number('smoothDr', 1e-5, { min: 0 });
  const rawMatrix = (options as Record<string, unknown>).distanceMatrix;
  const matrix = rawMatrix === undefined ? undefined : checkDistanceMatrix(fn, rawMatrix);
  const resolved = { ...shared, distanceMatrix: rawMatrix, weighting, smoothNr, smoothDr };

  return makeLoss('gwdl', resolved, (yTrue, yPred) =>
    tf.tidy(() => {
      const input = prepareInputs(fn, yTrue, yPred, shared.activation, true, false);
      const C = input.numClasses;
      if (C < 2) throw new Error(`${fn}: needs at least 2 classes, got yPred [${yPred.shape.join(', ')}]`);
      if (matrix !== undefined && matrix.size !== C) {
        throw new Error(`${fn}: distanceMatrix is ${matrix.size}×${matrix.size} but yPred [${yPred.shape.join(', ')}] has ${C} classes`);
      }
      const M = tf.tensor2d(matrix?.values ?? uniformDistances(C), [C, C]);
      const { probs, target, batchSize: B, voxels: S } = input;
      // Row g_i of M for every voxel: the one-hot target times M.
      const rows = tf.reshape(tf.matMul(tf.reshape(target, [B * S, C]), M), [B, S, C]);
      const distance = tf.sum(tf.mul(rows, probs), 2);
      let tp: tf.Tensor;
      let denominator: tf.Tensor;
      if (weighting === 'paper') {
        const alpha = tf.concat([tf.zeros([1]), tf.slice(tf.reshape(tf.slice(M, [0, 0], [C, 1]), [C]), [1], [C - 1])]);
        const a = tf.sum(tf.mul(target, alpha), 2);
        tp = tf.sum(tf.mul(a, tf.sub(a, distance)), 1);
        const errors = tf.sum(distance, 1);
        if (shared.batch) {
          tp = tf.sum(tp, 0, true);
          denominator = tf.add(tf.mul(2, tp), tf.sum(errors, 0, true));
        } else denominator = tf.add(tf.mul(2, tp), errors);
      } else {
        let volumes = tf.sum(target, 1, true);
        if (shared.batch) volumes = tf.sum(volumes, 0, true);
        const a = tf.sum(tf.mul(target, tf.reciprocal(tf.add(volumes, 1))), 2);
        tp = tf.sum(tf.mul(a, tf.sub(1, distance)), 1);
        denominator = tf.sum(tf.mul(a, tf.sub(2, distance)), 1);
        if (shared.batch) {
          tp = tf.sum(tp, 0, true);
          denominator = tf.sum(denominator, 0, true);
        }
      }
      let perImage: tf.Tensor = tf.sub(1, tf.div(tf.add(tf.mul(2, tp), smoothNr), tf.add(denominator, smoothDr)));
      if (shared.batch) perImage = tf.reshape(perImage, []);
      return reduce(perImage, shared.reduction);
    }),
  );
}
