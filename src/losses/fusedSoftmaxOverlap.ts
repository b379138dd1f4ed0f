import * as tf from '@tensorflow/tfjs';
import type { Activation } from '../common/activation.js';
import { fusedSoftmaxOverlap, softmaxOverlapAvailable } from '../engine/index.js';
import { prepareInputs } from './prepareInputs.js';

/**
 * tp = Σ p·r, sumP = Σ p, sumR = Σ r per image for the classes from `firstChannel` on (`[B, C − firstChannel]`),
 * with p = softmax(yPred) over channels, by the engine's fused softmax-and-overlap kernel (one pass each way,
 * native engine only; src/engine/softmaxOverlap.ts). Undefined where it does not apply: another engine, an
 * activation other than softmax (explicit, or the default of one channel), fewer than two channels. The
 * caller composes the softmax and `overlapStatistics` then; the values agree within float32 rounding (the
 * kernel's exp differs from TF.js's in the last bits). The inputs are checked by `prepareInputs` either way,
 * with the same errors. Must be called inside `tf.tidy`.
 */
export function fusedSoftmaxOverlapStatistics(
  fn: string,
  yTrue: tf.Tensor,
  yPred: tf.Tensor,
  options: { activation: Activation | undefined; includeBackground: boolean; firstChannel: number },
): Record<'tp' | 'sumP' | 'sumR', tf.Tensor2D> | undefined {
  const classes = yPred.shape[yPred.rank - 1] ?? 0;
  const softmax = (options.activation ?? (classes > 1 ? 'softmax' : 'sigmoid')) === 'softmax';
  if (!softmax || classes < 2 || !softmaxOverlapAvailable()) return undefined;
  const input = prepareInputs(fn, yTrue, yPred, 'none', options.includeBackground);
  const all = fusedSoftmaxOverlap(input.logits, input.target);
  if (options.firstChannel === 0) return all;
  const rows = input.batchSize;
  const slice = (t: tf.Tensor2D): tf.Tensor2D => tf.slice(t, [0, options.firstChannel], [rows, classes - options.firstChannel]);
  return { tp: slice(all.tp), sumP: slice(all.sumP), sumR: slice(all.sumR) };
}
