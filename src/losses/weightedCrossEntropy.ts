import * as tf from '@tensorflow/tfjs';
import { OptionReader } from '../common/options.js';
import { type LossFunction, makeLoss } from './lossFunction.js';
import { prepareInputs } from './prepareInputs.js';
import { reduce } from './reduction.js';
import { type ResolvedSharedOptions, type SharedLossOptions, SHARED_OPTION_NAMES, readSharedOptions } from './sharedOptions.js';
import { crossEntropyPerImage, isBinaryForm, volumes } from './crossEntropy.js';
import { fusedSoftmaxAllStatistics } from './fusedSoftmaxOverlap.js';

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
      if (fromLogitsOption !== false) {
        const fused = fusedWeightedCrossEntropy(fn, yTrue, yPred, shared, weightFrom, epsilon);
        if (fused !== undefined) return reduce(fused, shared.reduction);
      }
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

/**
 * The categorical WCE from the logits by the engine's fused softmax kernel (its sums Σ r·log p and the
 * volumes Σ r or Σ p per image and class, one pass each way), or undefined where the kernel does not apply
 * (another engine, no softmax, one channel). The same formula as the composed path; values agree within
 * float32 rounding (the volumes are the kernel's double sums rounded to float32). `[B]`, or `[]` with `batch`.
 */
function fusedWeightedCrossEntropy(
  fn: string,
  yTrue: tf.Tensor,
  yPred: tf.Tensor,
  shared: ResolvedSharedOptions,
  weightFrom: WeightSource,
  epsilon: number,
): tf.Tensor | undefined {
  const fused = fusedSoftmaxAllStatistics(fn, yTrue, yPred, { activation: shared.activation, includeBackground: shared.includeBackground, firstChannel: 0 });
  if (fused === undefined) return undefined;
  const { sums, input } = fused;
  const [B, C] = [input.batchSize, input.numClasses];
  const rows = shared.batch ? 1 : B;
  const n = (shared.batch ? B : 1) * input.voxels;
  const volume = (weightFrom === 'reference' ? sums.sumR : sums.sumP).dataSync();
  const v = new Float64Array(rows * C);
  for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) v[(shared.batch ? 0 : b) * C + c]! += volume[b * C + c]!;
  // w_0 = 1 for the background, w_l = (N − V_l)/max(V_l, ε): a constant for the gradient.
  const w = Float32Array.from(v, (vol, i) => (i % C === 0 ? 1 : (n - vol) / Math.max(vol, epsilon)));
  let terms: tf.Tensor = shared.batch ? tf.sum(sums.rLogP, 0, true) : sums.rLogP;
  terms = tf.mul(terms, tf.tensor2d(w, [rows, C]));
  if (!shared.includeBackground) terms = tf.slice(terms, [0, 1], [rows, C - 1]);
  const perImage = tf.div(tf.neg(tf.sum(terms, 1)), n);
  return shared.batch ? tf.reshape(perImage, []) : perImage;
}
