import * as tf from '@tensorflow/tfjs';
import type { Activation } from '../common/activation.js';
import type { Predictor } from './slidingWindow.js';

/** Every subset of the spatial axes 1..rank of a `[n, ...spatial, C]` batch: 2^rank flips, the identity first. */
export function mirrorAxes(rank: number): number[][] {
  const combos: number[][] = [];
  for (let mask = 0; mask < 2 ** rank; mask++) combos.push(Array.from({ length: rank }, (_, a) => a + 1).filter((a) => (mask >> (a - 1)) & 1));
  return combos;
}

function run(predictor: Predictor, x: tf.Tensor): tf.Tensor {
  return predictor instanceof tf.LayersModel ? (predictor.predict(x) as tf.Tensor) : predictor(x);
}

/**
 * Test-time mirroring (nnU-Net's): a predictor returning, for each window, the mean over the 2^rank
 * flips of the spatial axes of flip(activation(predictor(flip(window)))): probabilities, not logits, are
 * averaged. Give it to `slidingWindowInference` with `activation: 'none'`. `activation` 'auto' is
 * softmax for several output channels and sigmoid for one, as the sliding window's default.
 * For networks whose output is smaller than the input the flipped output lines up with the window's
 * output exactly when the margin on each axis is even (U-Nets and HighResNet have none).
 */
export function mirroredPredictor(predictor: Predictor, rank: number, activation: Activation | 'auto' = 'auto'): (x: tf.Tensor) => tf.Tensor {
  if (rank !== 2 && rank !== 3) throw new Error(`mirroredPredictor: rank must be 2 or 3, got ${rank}`);
  const flips = mirrorAxes(rank);
  return (x) =>
    tf.tidy(() => {
      const outputs = flips.map((axes) => {
        let y = run(predictor, axes.length ? tf.reverse(x, axes) : x);
        const k = y.shape[y.rank - 1]!;
        const a = activation === 'auto' ? (k > 1 ? 'softmax' : 'sigmoid') : activation;
        if (a === 'softmax') y = tf.softmax(y);
        else if (a === 'sigmoid') y = tf.sigmoid(y);
        return axes.length ? tf.reverse(y, axes) : y;
      });
      return tf.div(tf.addN(outputs), flips.length);
    });
}
