import * as tf from '@tensorflow/tfjs';

/** How per-image (or per-image-and-class) loss values become the returned tensor. */
export const REDUCTIONS = ['mean', 'sum', 'none'] as const;
export type Reduction = (typeof REDUCTIONS)[number];

/** Applies `reduction` to per-image (or per-image-and-class) loss values. */
export function reduce(values: tf.Tensor, reduction: Reduction): tf.Tensor {
  if (reduction === 'mean') return tf.mean(values);
  if (reduction === 'sum') return tf.sum(values);
  return values;
}
