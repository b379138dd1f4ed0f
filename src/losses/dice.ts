import * as tf from '@tensorflow/tfjs';
import { OptionReader } from '../common/options.js';
import { type LossFunction, makeLoss } from './lossFunction.js';
import { prepareInputs } from './prepareInputs.js';
import { reduce } from './reduction.js';
import { type SharedLossOptions, SHARED_OPTION_NAMES, readSharedOptions } from './sharedOptions.js';
import { softConfusion } from './overlapStatistics.js';

export interface DiceLossOptions extends SharedLossOptions {
  /** Use Σp² and Σr² in the denominator (V-Net style). Default false. */
  squaredPred?: boolean;
  /** Soft Jaccard (IoU) instead of Dice. Default false. */
  jaccard?: boolean;
  /** One weight per kept class (C, or C - 1 without background), multiplying each class's loss. */
  classWeights?: number[];
  /** Added to the numerator. Default 1e-5. */
  smoothNr?: number;
  /** Added to the denominator. Default 1e-5. */
  smoothDr?: number;
  /** Soft-label-safe overlap: tp = (Σ|p| + Σ|r| - Σ|p - r|)/2. Default false. */
  softLabel?: boolean;
}

export const diceOptionNames = [...SHARED_OPTION_NAMES, 'squaredPred', 'jaccard', 'classWeights', 'smoothNr', 'smoothDr', 'softLabel'];

/** Resolved Dice options, shared with Dice + cross-entropy. */
export interface ResolvedDiceOptions {
  squaredPred: boolean;
  jaccard: boolean;
  classWeights: number[] | undefined;
  smoothNr: number;
  smoothDr: number;
  softLabel: boolean;
}

export function resolveDiceOptions(check: OptionReader): ResolvedDiceOptions {
  return {
    squaredPred: check.boolean('squaredPred', false),
    jaccard: check.boolean('jaccard', false),
    classWeights: check.numberList('classWeights', undefined, { min: 0 }),
    smoothNr: check.number('smoothNr', 1e-5, { min: 0 }),
    smoothDr: check.number('smoothDr', 1e-5, { min: 0 }),
    softLabel: check.boolean('softLabel', false),
  };
}

/**
 * Per-image-and-class Dice loss `[B, C']` (`[1, C']` with batch) from `[B, S, C]` probabilities
 * and targets; channels before `firstChannel` (the background, when 1) are left out.
 */
export function diceLossPerClass(
  fn: string,
  p: tf.Tensor3D,
  r: tf.Tensor3D,
  opts: ResolvedDiceOptions,
  batch: boolean,
  firstChannel: number,
): tf.Tensor2D {
  const { tp, fp, fn: fnSum } = softConfusion(p, r, { softLabel: opts.softLabel, squared: opts.squaredPred, batch, firstChannel });
  const numerator = tf.add(tf.mul(2, tp), opts.smoothNr);
  const sumErrors = tf.add(fp, fnSum);
  const denominator = opts.jaccard
    ? tf.add(tf.mul(2, tf.add(tp, sumErrors)), opts.smoothDr)
    : tf.add(tf.add(tf.mul(2, tp), sumErrors), opts.smoothDr);
  let f = tf.sub(1, tf.div(numerator, denominator)) as tf.Tensor2D;
  if (opts.classWeights !== undefined) {
    const kept = f.shape[1];
    if (opts.classWeights.length !== kept) {
      throw new Error(
        `${fn}: classWeights has ${opts.classWeights.length} entries but the loss keeps ${kept} classes ` +
          `(C, or C - 1 without background), got classWeights [${opts.classWeights.join(', ')}]`,
      );
    }
    f = tf.mul(f, tf.tensor1d(opts.classWeights));
  }
  return f;
}

/**
 * Soft Dice loss (Milletari et al. 2016), per image and class:
 *
 *   Dice = 1 - (2 tp + smoothNr) / (2 tp + fp + fn + smoothDr)
 *   Jaccard = 1 - (2 tp + smoothNr) / (2 (tp + fp + fn) + smoothDr)
 *
 * with tp, fp, fn as in MONAI 1.5 (see `softConfusion`). `classWeights` multiply the per-class losses;
 * `reduction: 'mean'` is the plain mean over images and classes. Equal to MONAI 1.5's DiceLoss for
 * the same options. `reduction: 'none'` gives `[B, C']` (`[C']` with `batch`).
 */
export function diceLoss(options: DiceLossOptions = {}): LossFunction {
  const fn = 'diceLoss';
  const check = new OptionReader(fn, options, diceOptionNames);
  const shared = readSharedOptions(check);
  const opts = resolveDiceOptions(check);
  return makeLoss('dice', { ...shared, ...opts }, (yTrue, yPred) =>
    tf.tidy(() => {
      const input = prepareInputs(fn, yTrue, yPred, shared.activation, shared.includeBackground);
      let f: tf.Tensor = diceLossPerClass(fn, input.probs, input.target, opts, shared.batch, shared.includeBackground ? 0 : 1);
      if (shared.batch) f = tf.reshape(f, [f.shape[1]!]);
      return reduce(f, shared.reduction);
    }),
  );
}
