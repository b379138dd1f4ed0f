import * as tf from '@tensorflow/tfjs';
import { OptionReader } from '../common/options.js';
import { type LossFunction, makeLoss } from './lossFunction.js';
import { prepareInputs } from './prepareInputs.js';
import { reduce } from './reduction.js';
import { type SharedLossOptions, SHARED_OPTION_NAMES, readSharedOptions } from './sharedOptions.js';
import { overlapStatistics } from './overlapStatistics.js';
import { fusedSoftmaxAllStatistics } from './fusedSoftmaxOverlap.js';

/** The sensitivity-specificity forms: the paper's binary one, or summed over classes. */
export const SENSITIVITY_SPECIFICITY_FORMS = ['binary', 'sum'] as const;
export type SensitivitySpecificityForm = (typeof SENSITIVITY_SPECIFICITY_FORMS)[number];

export interface SensitivitySpecificityLossOptions extends SharedLossOptions {
  /** Weight of the sensitivity (foreground) term. Default 0.05, as the paper. */
  lambda?: number;
  /** Added to each term's denominator. Default 1e-5. */
  epsilon?: number;
  /**
   * 'binary': the paper's form on the foreground (C = 1, or channel 1 of C = 2; default for C <= 2);
   * 'sum': the binary form summed over the kept classes (NiftyNet's multi-class version; default
   * for C > 2). For two softmax classes 'sum' makes λ cancel out: a different loss.
   */
  form?: SensitivitySpecificityForm;
}

const optionNames = [...SHARED_OPTION_NAMES, 'lambda', 'epsilon', 'form'];

/**
 * Sensitivity-specificity loss (Brosch et al. 2015, as in Sudre et al. 2017, eq. 3), per image:
 *
 *   SS = λ Σ (r - p)² r / (Σ r + ε) + (1 - λ) Σ (r - p)² (1 - r) / (Σ (1 - r) + ε)
 *
 * `reduction: 'none'` gives `[B]` (`[]` with `batch`).
 */
export function sensitivitySpecificityLoss(options: SensitivitySpecificityLossOptions = {}): LossFunction {
  const fn = 'sensitivitySpecificityLoss';
  const check = new OptionReader(fn, options, optionNames);
  const shared = readSharedOptions(check);
  const lambda = check.number('lambda', 0.05, { min: 0, max: 1 });
  const epsilon = check.number('epsilon', 1e-5, { min: 0 });
  const formOption = check.oneOf('form', SENSITIVITY_SPECIFICITY_FORMS, undefined);
  return makeLoss('ss', { ...shared, lambda, epsilon, form: formOption }, (yTrue, yPred) =>
    tf.tidy(() => {
      const classes = yPred.shape[yPred.rank - 1] ?? 0;
      const form = formOption ?? (classes <= 2 ? 'binary' : 'sum');
      const firstChannel = form === 'binary' ? classes - 1 : shared.includeBackground ? 0 : 1;
      // The sums by the engine's fused softmax kernel where it applies (softmax, two or more channels), else
      // composed; the values agree within float32 rounding.
      const fused = form === 'binary' && classes > 2 ? undefined : fusedSoftmaxAllStatistics(fn, yTrue, yPred, { activation: shared.activation, includeBackground: shared.includeBackground, firstChannel });
      const input = fused?.input ?? prepareInputs(fn, yTrue, yPred, shared.activation, shared.includeBackground);
      if (form === 'binary' && input.numClasses > 2) {
        throw new Error(`${fn}: form 'binary' needs one or two channels, got ${input.numClasses} in yPred [${yPred.shape.join(', ')}]; use form 'sum'`);
      }
      const s = fused?.sums ?? overlapStatistics(input.probs, input.target, ['sumR', 'sqDiff', 'sqDiffR'], { firstChannel });
      let sumR: tf.Tensor = s.sumR;
      let sqDiffR: tf.Tensor = s.sqDiffR;
      let sqDiff: tf.Tensor = s.sqDiff;
      let n = input.voxels;
      if (shared.batch) {
        sumR = tf.sum(sumR, 0, true);
        sqDiffR = tf.sum(sqDiffR, 0, true);
        sqDiff = tf.sum(sqDiff, 0, true);
        n *= input.batchSize;
      }
      const sensitivity = tf.div(sqDiffR, tf.add(sumR, epsilon));
      const specificity = tf.div(tf.sub(sqDiff, sqDiffR), tf.add(tf.sub(n, sumR), epsilon));
      let perImage: tf.Tensor = tf.sum(tf.add(tf.mul(lambda, sensitivity), tf.mul(1 - lambda, specificity)), 1);
      if (shared.batch) perImage = tf.reshape(perImage, []);
      return reduce(perImage, shared.reduction);
    }),
  );
}
