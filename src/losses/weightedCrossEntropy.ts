import * as tf from '@tensorflow/tfjs';
import { OptionReader } from '../common/options.js';
import { type LossFunction, makeLoss } from './lossFunction.js';
import { prepareInputs } from './prepareInputs.js';
import { reduce } from './reduction.js';
import { type SharedLossOptions, SHARED_OPTION_NAMES, readSharedOptions } from './sharedOptions.js';
import { crossEntropyPerImage, isBinaryForm, volumes } from './crossEntropy.js';

/** The volume the WCE weight is computed from. */
export const WEIGHT_SOURCES = ['reference', 'prediction'] as const;
export type WeightSource = (typeof WEIGHT_SOURCES)[number];

export interface WeightedCrossEntropyLossOptions extends SharedLossOptions {
  /** Volume the weight is computed from: 'reference' (default) Σr, or 'prediction' Σp (the paper as printed). */
  weightFrom?: WeightSource;
  /** Compute log-probabilities from the logits. Default true when an activation is applied. */
  fromLogits?: boolean;
  /** Lower bound of volumes in the weight and of probabilities in log(p). Default 1e-7. */
  epsilon?: number;
}

const optionNames = [...SHARED_OPTION_NAMES, 'weightFrom', 'fromLogits', 'epsilon'];

/**
 * Weighted cross-entropy (Sudre et al. 2017, eq. 1), per image:
 *
 *   WCE = -(1/N) Σ_n [ w r_n log p_n + (1 - r_n) log(1 - p_n) ],   w = (N - V)/max(V, ε)
 *
 * with V = Σ_n r_n ('reference', default: class-frequency balancing that does not follow the
 * network's own early, near-empty predictions) or V = Σ_n p_n ('prediction', as printed). w is a
 * constant for the gradient. Multi-class (softmax): -(1/N) Σ_n Σ_l w_l r_ln log p_ln with w_0 = 1
 * for the background and w_l from class l's volume, which is the paper's form for C = 2. With
 * 'sigmoid', each channel is the binary form and the channel terms are averaged.
 */
export function weightedCrossEntropyLoss(options: WeightedCrossEntropyLossOptions = {}): LossFunction {
  const fn = 'weightedCrossEntropyLoss';
  const check = new OptionReader(fn, options, optionNames);
  const shared = readSharedOptions(check);
  const weightFrom = check.oneOf('weightFrom', WEIGHT_SOURCES, 'reference');
  const epsilon = check.number('epsilon', 1e-7, { min: 0, minExclusive: true });
  const fromLogitsOption = (options as Record<string, unknown>).fromLogits === undefined ? undefined : check.boolean('fromLogits', true);
  if (fromLogitsOption === true && shared.activation === 'none') {
    throw new Error(`${fn}: fromLogits: true conflicts with activation: 'none' (yPred then holds probabilities, not logits)`);
  }
  return makeLoss('wce', { ...shared, weightFrom, epsilon, fromLogits: fromLogitsOption }, (yTrue, yPred) =>
    tf.tidy(() => {
      const input = prepareInputs(fn, yTrue, yPred, shared.activation, shared.includeBackground);
      const fromLogits = fromLogitsOption ?? input.activation !== 'none';
      const rows = shared.batch ? 1 : input.batchSize;
      const n = (shared.batch ? input.batchSize : 1) * input.voxels;
      const v = volumes(weightFrom === 'reference' ? input.target : input.probs, shared.batch);
      const binary = isBinaryForm(input);
      const w = new Float32Array(rows * input.numClasses);
      for (let i = 0; i < w.length; i++) {
        const isBackground = !binary && i % input.numClasses === 0;
        w[i] = isBackground ? 1 : (n - v[i]!) / Math.max(v[i]!, epsilon);
      }
      const perImage = crossEntropyPerImage(input, {
        fromLogits,
        epsilon,
        gamma: 0,
        includeBackground: shared.includeBackground,
        batch: shared.batch,
        positiveWeights: w,
      });
      return reduce(perImage, shared.reduction);
    }),
  );
}
