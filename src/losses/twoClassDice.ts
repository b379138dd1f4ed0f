import * as tf from '@tensorflow/tfjs';
import { OptionReader } from '../common/options.js';
import { type LossFunction, makeLoss } from './lossFunction.js';
import { prepareInputs } from './prepareInputs.js';
import { reduce } from './reduction.js';
import { type SharedLossOptions, readSharedOptions } from './sharedOptions.js';
import { overlapStatistics } from './overlapStatistics.js';
import { fusedSoftmaxOverlapStatistics } from './fusedSoftmaxOverlap.js';

export interface TwoClassDiceLossOptions extends Omit<SharedLossOptions, 'includeBackground'> {
  /** ε of the paper's formula, added to each term's numerator and denominator. Default 1e-5. */
  epsilon?: number;
}

/**
 * The paper's two-class Dice loss DL2 (Sudre et al. 2017, eq. 2, after Milletari et al.), per image:
 *
 *   DL2 = 1 - (Σ p r + ε)/(Σ (p + r) + ε) - (Σ (1-p)(1-r) + ε)/(Σ (2 - p - r) + ε)
 *
 * p is the foreground probability: the single sigmoid channel (C = 1) or channel 1 of a two-class
 * softmax (C = 2). With ε → 0 it equals 1 - ½(DSC_fg + DSC_bg), in [0, 1]. As printed, an image whose
 * reference and prediction are both empty gives ≈ -0.5 (the foreground term is ε/ε = 1), below the
 * 0 of a perfect non-empty prediction. `reduction: 'none'` gives `[B]` (`[]` with `batch`).
 */
export function twoClassDiceLoss(options: TwoClassDiceLossOptions = {}): LossFunction {
  const fn = 'twoClassDiceLoss';
  const check = new OptionReader(fn, options, ['activation', 'reduction', 'batch', 'epsilon']);
  const shared = readSharedOptions(check);
  const epsilon = check.number('epsilon', 1e-5, { min: 0 });
  return makeLoss('dl2', { activation: shared.activation, reduction: shared.reduction, batch: shared.batch, epsilon }, (yTrue, yPred) =>
    tf.tidy(() => {
      const classes = yPred.shape[yPred.rank - 1] ?? 0;
      // The foreground's sums by the engine's fused softmax kernel where it applies (two channels), else composed.
      const fused = classes === 2 ? fusedSoftmaxOverlapStatistics(fn, yTrue, yPred, { activation: shared.activation, includeBackground: true, firstChannel: 1 }) : undefined;
      const s = fused ?? (() => {
        const input = prepareInputs(fn, yTrue, yPred, shared.activation, true);
        if (input.numClasses > 2) {
          throw new Error(`${fn}: DL2 is defined for one (sigmoid) or two (softmax) channels, got ${input.numClasses} channels in yPred [${yPred.shape.join(', ')}]; use diceLoss or generalizedDiceLoss`);
        }
        return overlapStatistics(input.probs, input.target, ['tp', 'sumP', 'sumR'], { firstChannel: input.numClasses - 1 });
      })();
      let tp: tf.Tensor = s.tp;
      let sumPR: tf.Tensor = tf.add(s.sumP, s.sumR);
      const [batchSize] = yPred.shape as [number];
      let n = yPred.size / (batchSize * classes);
      if (shared.batch) {
        tp = tf.sum(tp);
        sumPR = tf.sum(sumPR);
        n *= batchSize;
      } else {
        tp = tf.reshape(tp, [-1]);
        sumPR = tf.reshape(sumPR, [-1]);
      }
      const foreground = tf.div(tf.add(tp, epsilon), tf.add(sumPR, epsilon));
      // Σ(1-p)(1-r) = N - Σp - Σr + Σpr and Σ(2 - p - r) = 2N - Σp - Σr.
      const background = tf.div(tf.add(tf.add(tf.sub(n, sumPR), tp), epsilon), tf.add(tf.sub(2 * n, sumPR), epsilon));
      return reduce(tf.sub(tf.sub(1, foreground), background), shared.reduction);
    }),
  );
}
