import * as tf from '@tensorflow/tfjs';
import { finiteNumber, OptionReader } from '../common/options.js';
import { WEIGHT_TYPES, type WeightType } from '../common/weightTypes.js';
import { type LossFunction, makeLoss } from './lossFunction.js';
import { prepareInputs } from './prepareInputs.js';
import { reduce } from './reduction.js';
import { type SharedLossOptions, SHARED_OPTION_NAMES, readSharedOptions } from './sharedOptions.js';
import { overlapStatistics } from './overlapStatistics.js';
import { fusedSoftmaxOverlapStatistics } from './fusedSoftmaxOverlap.js';

/** The named weights of a class absent from the reference (a number >= 0 is also accepted). */
export const EMPTY_CLASS_WEIGHTS = ['max', 'zero'] as const;
export type EmptyClassWeight = (typeof EMPTY_CLASS_WEIGHTS)[number] | number;

export interface GeneralizedDiceLossOptions extends SharedLossOptions {
  /** w_l = 1/(Σ_n r_ln)² ('square', default, the paper's), 1/Σ_n r_ln ('simple') or 1 ('uniform'). */
  weightType?: WeightType;
  /** Weight of a class absent from an image's reference: 'max' (default), 'zero' or a number >= 0. */
  emptyClassWeight?: EmptyClassWeight;
  /** Added to the numerator. Default 1e-5. */
  smoothNr?: number;
  /** Added to the denominator. Default 1e-5. */
  smoothDr?: number;
  /** Soft-label-safe overlap: tp = (Σ|p| + Σ|r| - Σ|p - r|)/2. Default false. */
  softLabel?: boolean;
}

const optionNames = [...SHARED_OPTION_NAMES, 'weightType', 'emptyClassWeight', 'smoothNr', 'smoothDr', 'softLabel'];

/**
 * Class weights from reference volumes `ground` ([rows, C]): the weight function of `weightType`,
 * with classes of zero volume (infinite weight) replaced per `emptyClassWeight` within each row.
 */
export function generalizedDiceWeights(
  ground: ArrayLike<number>,
  rows: number,
  classes: number,
  weightType: WeightType,
  emptyClassWeight: EmptyClassWeight,
): Float32Array {
  const w = new Float32Array(rows * classes);
  for (let b = 0; b < rows; b++) {
    let maxFinite = 0;
    for (let c = 0; c < classes; c++) {
      const g = ground[b * classes + c]!;
      const v = weightType === 'uniform' ? 1 : weightType === 'simple' ? 1 / g : 1 / (g * g);
      const finite = Number.isFinite(v);
      w[b * classes + c] = finite ? v : Number.NaN;
      if (finite && v > maxFinite) maxFinite = v;
    }
    const empty = emptyClassWeight === 'max' ? maxFinite : emptyClassWeight === 'zero' ? 0 : emptyClassWeight;
    for (let c = 0; c < classes; c++) if (Number.isNaN(w[b * classes + c]!)) w[b * classes + c] = empty;
  }
  return w;
}

/**
 * Generalised Dice loss (Sudre et al., DLMIA 2017; after Crum et al. 2006), per image:
 *
 *   GDL = 1 - (2 Σ_l w_l Σ_n r_ln p_ln + smoothNr) / (Σ_l w_l Σ_n (r_ln + p_ln) + smoothDr)
 *
 * with w_l = 1/(Σ_n r_ln)² by default. The weights depend on the reference only (constants for the
 * gradient). A class absent from an image's reference gets the largest finite weight of that image
 * (`emptyClassWeight: 'max'`, as NiftyNet and MONAI). Equal to MONAI 1.5's GeneralizedDiceLoss for
 * the same options. `reduction: 'none'` gives one value per image (`[B]`), or `[]` with `batch`.
 */
export function generalizedDiceLoss(options: GeneralizedDiceLossOptions = {}): LossFunction {
  const fn = 'generalizedDiceLoss';
  const check = new OptionReader(fn, options, optionNames);
  const shared = readSharedOptions(check);
  const weightType = check.oneOf('weightType', WEIGHT_TYPES, 'square');
  const rawEmpty = (options as Record<string, unknown>).emptyClassWeight;
  const emptyClassWeight: EmptyClassWeight =
    typeof rawEmpty === 'number'
      ? finiteNumber(fn, 'emptyClassWeight', rawEmpty, { min: 0 })
      : check.oneOf('emptyClassWeight', EMPTY_CLASS_WEIGHTS, 'max');
  const smoothNr = check.number('smoothNr', 1e-5, { min: 0 });
  const smoothDr = check.number('smoothDr', 1e-5, { min: 0 });
  const softLabel = check.boolean('softLabel', false);
  const resolved = { ...shared, weightType, emptyClassWeight, smoothNr, smoothDr, softLabel };

  return makeLoss('gdl', resolved, (yTrue, yPred) =>
    tf.tidy(() => {
      const firstChannel = shared.includeBackground ? 0 : 1;
      // GDL's sums by the engine's fused kernel where it applies (softLabel needs other sums), else composed.
      const fused = softLabel ? undefined : fusedSoftmaxOverlapStatistics(fn, yTrue, yPred, { ...shared, firstChannel });
      const s = fused ?? (() => {
        const input = prepareInputs(fn, yTrue, yPred, shared.activation, shared.includeBackground);
        return overlapStatistics(input.probs, input.target, softLabel ? ['tp', 'sumR', 'sumAbsP', 'sumAbsR', 'absDiff'] : ['tp', 'sumP', 'sumR'], { firstChannel });
      })();
      let tp: tf.Tensor2D;
      let denominator: tf.Tensor2D;
      if (softLabel) {
        const st = s as Record<'tp' | 'sumR' | 'sumAbsP' | 'sumAbsR' | 'absDiff', tf.Tensor2D>;
        tp = tf.div(tf.sub(tf.add(st.sumAbsP, st.sumAbsR), st.absDiff), 2);
        denominator = tf.add(st.sumAbsP, st.sumAbsR);
      } else {
        const st = s as Record<'tp' | 'sumP' | 'sumR', tf.Tensor2D>;
        tp = st.tp;
        denominator = tf.add(st.sumP, st.sumR);
      }
      let ground = s.sumR;
      if (shared.batch) {
        tp = tf.sum(tp, 0, true);
        denominator = tf.sum(denominator, 0, true);
        ground = tf.sum(ground, 0, true);
      }
      const [rows, classes] = ground.shape;
      const w = tf.tensor2d(generalizedDiceWeights(ground.dataSync(), rows, classes, weightType, emptyClassWeight), [rows, classes]);
      const numerator = tf.add(tf.mul(2, tf.sum(tf.mul(w, tp), 1)), smoothNr);
      const denom = tf.add(tf.sum(tf.mul(w, denominator), 1), smoothDr);
      let perImage: tf.Tensor = tf.sub(1, tf.div(numerator, denom));
      if (shared.batch) perImage = tf.reshape(perImage, []);
      return reduce(perImage, shared.reduction);
    }),
  );
}
