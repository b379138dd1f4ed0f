import * as tf from '@tensorflow/tfjs';
import { finiteNumber, OptionReader } from '../common/options.js';
import { type LossFunction, makeLoss } from './lossFunction.js';
import { prepareInputs } from './prepareInputs.js';
import { reduce } from './reduction.js';
import { type SharedLossOptions, SHARED_OPTION_NAMES, readSharedOptions } from './sharedOptions.js';
import { crossEntropyPerImage, isBinaryForm } from './crossEntropy.js';

export interface FocalLossOptions extends SharedLossOptions {
  /** Focusing exponent γ >= 0. Default 2; 0 gives plain cross-entropy. */
  gamma?: number;
  /**
   * Class balance: a number in [0, 1] weighs foreground terms α and background terms 1 - α
   * (binary: positives α, negatives 1 - α; softmax: channel 0 gets 1 - α, the others α, as MONAI);
   * an array gives one weight per channel (softmax only). Default: no weighting.
   */
  alpha?: number | number[];
  /** Compute log-probabilities from the logits. Default true when an activation is applied. */
  fromLogits?: boolean;
  /** Probability clipping for log(p) when not from logits. Default 1e-7. */
  epsilon?: number;
}

const optionNames = [...SHARED_OPTION_NAMES, 'gamma', 'alpha', 'fromLogits', 'epsilon'];

/**
 * Focal loss (Lin et al., ICCV 2017), per image: -(1/N) Σ_n Σ_l α_l (1 - p_ln)^γ r_ln log p_ln
 * (softmax), or the binary form -[α (1-p)^γ r log p + (1-α) p^γ (1-r) log(1-p)] averaged over voxels
 * and channels (sigmoid). With γ = 0 and no α it equals the cross-entropy.
 */
export function focalLoss(options: FocalLossOptions = {}): LossFunction {
  const fn = 'focalLoss';
  const check = new OptionReader(fn, options, optionNames);
  const shared = readSharedOptions(check);
  const gamma = check.number('gamma', 2, { min: 0 });
  const rawAlpha = (options as Record<string, unknown>).alpha;
  const alpha: number | number[] | undefined =
    rawAlpha === undefined ? undefined : Array.isArray(rawAlpha) ? check.numberList('alpha', undefined, { min: 0 }) : finiteNumber(fn, 'alpha', rawAlpha, { min: 0, max: 1 });
  const epsilon = check.number('epsilon', 1e-7, { min: 0, minExclusive: true });
  const fromLogitsOption = (options as Record<string, unknown>).fromLogits === undefined ? undefined : check.boolean('fromLogits', true);
  if (fromLogitsOption === true && shared.activation === 'none') {
    throw new Error(`${fn}: fromLogits: true conflicts with activation: 'none' (yPred then holds probabilities, not logits)`);
  }
  return makeLoss('focal', { ...shared, gamma, alpha, epsilon, fromLogits: fromLogitsOption }, (yTrue, yPred) =>
    tf.tidy(() => {
      const input = prepareInputs(fn, yTrue, yPred, shared.activation, shared.includeBackground);
      const binary = isBinaryForm(input);
      const C = input.numClasses;
      const rows = shared.batch ? 1 : input.batchSize;
      let positiveWeights: Float32Array | undefined;
      let negativeWeights: Float32Array | undefined;
      if (Array.isArray(alpha)) {
        if (binary) throw new Error(`${fn}: a per-class alpha array needs the softmax form; with sigmoid give one number, got alpha [${alpha.join(', ')}]`);
        if (alpha.length !== C) throw new Error(`${fn}: alpha has ${alpha.length} entries for ${C} channels, got [${alpha.join(', ')}]`);
        positiveWeights = new Float32Array(rows * C).map((_, i) => alpha[i % C]!);
      } else if (alpha !== undefined) {
        if (binary) {
          positiveWeights = new Float32Array(rows * C).fill(alpha);
          negativeWeights = new Float32Array(rows * C).fill(1 - alpha);
        } else {
          positiveWeights = new Float32Array(rows * C).map((_, i) => (i % C === 0 ? 1 - alpha : alpha));
        }
      }
      const perImage = crossEntropyPerImage(input, {
        fromLogits: fromLogitsOption ?? input.activation !== 'none',
        epsilon,
        gamma,
        includeBackground: shared.includeBackground,
        batch: shared.batch,
        positiveWeights,
        negativeWeights,
      });
      return reduce(perImage, shared.reduction);
    }),
  );
}
