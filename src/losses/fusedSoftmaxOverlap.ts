import * as tf from '@tensorflow/tfjs';
import type { Activation } from '../common/activation.js';
import { fusedSoftmaxOverlap, softmaxOverlapAvailable } from '../engine/index.js';
import { checkInputValues, prepareInputs } from './prepareInputs.js';

/**
 * tp = Σ p·r, sumP = Σ p, sumR = Σ r per image for the classes from `firstChannel` on (`[B, C − firstChannel]`),
 * with p = softmax(yPred) over channels, by the engine's fused softmax-and-overlap kernel (one pass each way,
 * native engine only; src/engine/softmaxOverlap.ts). Undefined where it does not apply: another engine, an
 * activation other than softmax (explicit, or the default of one channel), fewer than two channels. The
 * caller composes the softmax and `overlapStatistics` then; the values agree within float32 rounding (the
 * kernel's exp differs from TF.js's in the last bits). The inputs are checked either way, with the same
 * errors: a one-hot target and the logits by the kernel as it reads them (the exact, naming checks of
 * `checkInputValues` run only when that finds a bad value), a label map by `prepareInputs` before. Must be
 * called inside `tf.tidy`.
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
  // A one-hot target and the logits are checked by the kernel while it reads them; the exact checks (which
  // name the first bad value) run only when that check failed or could not run, so the errors are the same.
  const oneHot = yTrue.shape[yTrue.rank - 1] === classes;
  const input = prepareInputs(fn, yTrue, yPred, 'none', options.includeBackground, true, { deferValueChecks: true });
  const { checks, ...all } = fusedSoftmaxOverlap(input.logits, input.target, { targetRule: oneHot ? 'unitInterval' : 'none' });
  if (oneHot && (checks.logitsFinite !== true || checks.targetPasses !== true)) checkInputValues(fn, yTrue, yPred);
  if (options.firstChannel === 0) return all;
  const rows = input.batchSize;
  const slice = (t: tf.Tensor2D): tf.Tensor2D => tf.slice(t, [0, options.firstChannel], [rows, classes - options.firstChannel]);
  return { tp: slice(all.tp), sumP: slice(all.sumP), sumR: slice(all.sumR) };
}
