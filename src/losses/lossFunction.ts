import type * as tf from '@tensorflow/tfjs';

/** A loss usable in `model.compile({ loss })` and in custom loops: `loss(yTrue, yPred)`. */
export interface LossFunction {
  (yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor;
  /** The registry name of the loss (`gdl`, `dice`, ...). */
  readonly lossName: string;
  /** The options as resolved, defaults filled in (C-dependent ones stay undefined until a call). */
  readonly options: Readonly<Record<string, unknown>>;
}

/** Attaches the name and resolved options to a loss closure. */
export function makeLoss(
  lossName: string,
  options: Record<string, unknown>,
  fn: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor,
): LossFunction {
  const loss = ((yTrue: tf.Tensor, yPred: tf.Tensor) => fn(yTrue, yPred)) as LossFunction;
  Object.defineProperty(loss, 'lossName', { value: lossName, enumerable: true });
  Object.defineProperty(loss, 'options', { value: Object.freeze({ ...options }), enumerable: true });
  Object.defineProperty(loss, 'name', { value: lossName });
  return loss;
}
