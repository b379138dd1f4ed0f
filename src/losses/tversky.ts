import * as tf from '@tensorflow/tfjs';
import { OptionReader } from '../common/options.js';
import { type LossFunction, makeLoss } from './lossFunction.js';
import { prepareInputs } from './prepareInputs.js';
import { reduce } from './reduction.js';
import { type SharedLossOptions, SHARED_OPTION_NAMES, readSharedOptions } from './sharedOptions.js';
import { softConfusion } from './overlapStatistics.js';

export interface TverskyLossOptions extends SharedLossOptions {
  /** Weight of false positives. Default 0.5. */
  alpha?: number;
  /** Weight of false negatives. Default 0.5. */
  beta?: number;
  /** Added to the numerator. Default 1e-5. */
  smoothNr?: number;
  /** Added to the denominator. Default 1e-5. */
  smoothDr?: number;
  /** Soft-label-safe overlap: tp = (Σ|p| + Σ|r| - Σ|p - r|)/2, fp = Σ|p| - tp, fn = Σ|r| - tp. */
  softLabel?: boolean;
}

const optionNames = [...SHARED_OPTION_NAMES, 'alpha', 'beta', 'smoothNr', 'smoothDr', 'softLabel'];

/**
 * Tversky loss (Salehi et al., MLMI 2017), per image and class:
 *
 *   T = 1 - (tp + smoothNr) / (tp + α fp + β fn + smoothDr)
 *
 * α weighs false positives and β false negatives; α = β = 0.5 is the Dice loss up to smoothing.
 * Equal to MONAI 1.5's TverskyLoss for the same options. `reduction: 'none'` gives `[B, C']`
 * (`[C']` with `batch`).
 */
export function tverskyLoss(options: TverskyLossOptions = {}): LossFunction {
  const fn = 'tverskyLoss';
  const check = new OptionReader(fn, options, optionNames);
  const shared = readSharedOptions(check);
  const alpha = check.number('alpha', 0.5, { min: 0 });
  const beta = check.number('beta', 0.5, { min: 0 });
  const smoothNr = check.number('smoothNr', 1e-5, { min: 0 });
  const smoothDr = check.number('smoothDr', 1e-5, { min: 0 });
  const softLabel = check.boolean('softLabel', false);
  if (alpha === 0 && beta === 0 && smoothDr === 0) {
    throw new Error(`${fn}: alpha = beta = smoothDr = 0 leaves only tp in the denominator (0/0 on empty classes); set one of them > 0`);
  }
  return makeLoss('tversky', { ...shared, alpha, beta, smoothNr, smoothDr, softLabel }, (yTrue, yPred) =>
    tf.tidy(() => {
      const input = prepareInputs(fn, yTrue, yPred, shared.activation, shared.includeBackground);
      const { tp, fp, fn: fnSum } = softConfusion(input.probs, input.target, {
        softLabel,
        squared: false,
        batch: shared.batch,
        firstChannel: shared.includeBackground ? 0 : 1,
      });
      const denominator = tf.add(tf.add(tf.add(tp, tf.mul(alpha, fp)), tf.mul(beta, fnSum)), smoothDr);
      let f: tf.Tensor = tf.sub(1, tf.div(tf.add(tp, smoothNr), denominator));
      if (shared.batch) f = tf.reshape(f, [f.shape[1]!]);
      return reduce(f, shared.reduction);
    }),
  );
}
