import * as tf from '@tensorflow/tfjs';
import type { Activation } from '../common/activation.js';
import { fusedSoftmaxOverlap, fusedSoftmaxStatistics, softmaxOverlapAvailable, softmaxStatisticsAvailable, type SoftmaxSum } from '../engine/index.js';
import { checkInputValues, prepareInputs, type PreparedInputs } from './prepareInputs.js';

interface FusedOptions {
  activation: Activation | undefined;
  includeBackground: boolean;
  firstChannel: number;
}

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
  options: FusedOptions,
): Record<'tp' | 'sumP' | 'sumR', tf.Tensor2D> | undefined {
  if (!applies(yPred, options.activation) || !softmaxOverlapAvailable()) return undefined;
  return run<'tp' | 'sumP' | 'sumR'>(fn, yTrue, yPred, options, (logits, target, targetRule) => fusedSoftmaxOverlap(logits, target, { targetRule })).sums;
}

/**
 * The six sums of the fused kernel (tp, sumP, sumR, sqDiff, sqDiffR, rLogP: `fusedSoftmaxStatistics`) for the
 * classes from `firstChannel` on, with the prepared inputs' sizes, under the same rules and checks as
 * `fusedSoftmaxOverlapStatistics`; undefined where the kernel does not apply or the addon lacks the six sums.
 */
export function fusedSoftmaxAllStatistics(
  fn: string,
  yTrue: tf.Tensor,
  yPred: tf.Tensor,
  options: FusedOptions,
): { sums: Record<SoftmaxSum, tf.Tensor2D>; input: PreparedInputs } | undefined {
  if (!applies(yPred, options.activation) || !softmaxStatisticsAvailable()) return undefined;
  return run<SoftmaxSum>(fn, yTrue, yPred, options, (logits, target, targetRule) => fusedSoftmaxStatistics(logits, target, { targetRule }));
}

function applies(yPred: tf.Tensor, activation: Activation | undefined): boolean {
  const classes = yPred.shape[yPred.rank - 1] ?? 0;
  return (activation ?? (classes > 1 ? 'softmax' : 'sigmoid')) === 'softmax' && classes >= 2;
}

function run<K extends string>(
  fn: string,
  yTrue: tf.Tensor,
  yPred: tf.Tensor,
  options: FusedOptions,
  kernel: (
    logits: tf.Tensor3D,
    target: tf.Tensor3D,
    targetRule: 'none' | 'unitInterval',
  ) => Record<K, tf.Tensor2D> & { checks: { logitsFinite: boolean | undefined; targetPasses: boolean | undefined } },
): { sums: Record<K, tf.Tensor2D>; input: PreparedInputs } {
  const classes = yPred.shape[yPred.rank - 1]!;
  // A one-hot target and the logits are checked by the kernel while it reads them; the exact checks (which
  // name the first bad value) run only when that check failed or could not run, so the errors are the same.
  const oneHot = yTrue.shape[yTrue.rank - 1] === classes;
  const input = prepareInputs(fn, yTrue, yPred, 'none', options.includeBackground, true, { deferValueChecks: true });
  const { checks, ...all } = kernel(input.logits, input.target, oneHot ? 'unitInterval' : 'none');
  if (oneHot && (checks.logitsFinite !== true || checks.targetPasses !== true)) checkInputValues(fn, yTrue, yPred);
  const sums = all as unknown as Record<K, tf.Tensor2D>;
  if (options.firstChannel === 0) return { sums, input };
  const rows = input.batchSize;
  const kept = {} as Record<K, tf.Tensor2D>;
  for (const [name, t] of Object.entries(sums) as Array<[K, tf.Tensor2D]>) {
    kept[name] = tf.slice(t, [0, options.firstChannel], [rows, classes - options.firstChannel]);
  }
  return { sums: kept, input };
}
