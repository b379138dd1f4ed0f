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
 * A row-major `[n, X, Y, (Z,) C]` batch with the spatial axes `axes` (1-based, as `tf.reverse`) reversed.
 * Plain loops: TF.js's cpu `reverse` took 1.3 s for an 8 × 48³ × 2 batch here, longer than the network.
 */
export function flipSpatialAxes(data: Float32Array, shape: readonly number[], axes: readonly number[]): Float32Array {
  const rank = shape.length - 2;
  const [n, X, Y] = [shape[0]!, shape[1]!, shape[2]!];
  const Z = rank === 3 ? shape[3]! : 1;
  const C = shape[shape.length - 1]!;
  const [fx, fy, fz] = [axes.includes(1), axes.includes(2), rank === 3 && axes.includes(3)];
  const out = new Float32Array(data.length);
  let dst = 0;
  for (let b = 0; b < n; b++)
    for (let x = 0; x < X; x++) {
      const sx = fx ? X - 1 - x : x;
      for (let y = 0; y < Y; y++) {
        const sy = fy ? Y - 1 - y : y;
        for (let z = 0; z < Z; z++) {
          const src = (((b * X + sx) * Y + sy) * Z + (fz ? Z - 1 - z : z)) * C;
          for (let c = 0; c < C; c++) out[dst++] = data[src + c]!;
        }
      }
    }
  return out;
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
  return (x) => {
    if (x.rank !== rank + 2) throw new Error(`mirroredPredictor: expected a [n, ...${rank} spatial, C] batch, got shape [${x.shape.join(', ')}]`);
    const input = x.dataSync() as Float32Array;
    let sum: Float64Array | undefined;
    let outShape: number[] = [];
    for (const axes of flips) {
      // The tidy returns the tensor, not its values: tf.tidy walks every index of a typed array it
      // returns (seconds for a batch of 96³ windows; slidingWindow.ts has the same note).
      const probabilities = tf.tidy(() => {
        const y = run(predictor, axes.length ? tf.tensor(flipSpatialAxes(input, x.shape, axes), x.shape) : x);
        const k = y.shape[y.rank - 1]!;
        const a = activation === 'auto' ? (k > 1 ? 'softmax' : 'sigmoid') : activation;
        if (a === 'softmax') return tf.softmax(y);
        if (a === 'sigmoid') return tf.sigmoid(y);
        return y.clone(); // a tensor of this tidy's own: the predictor's (or x itself) is not disposed below
      });
      const shape = probabilities.shape;
      let data: Float32Array;
      try {
        data = probabilities.dataSync() as Float32Array;
      } finally {
        probabilities.dispose();
      }
      const back = axes.length ? flipSpatialAxes(data, shape, axes) : data;
      sum ??= new Float64Array(back.length);
      outShape = shape;
      for (let i = 0; i < back.length; i++) sum[i] = sum[i]! + back[i]!;
    }
    return tf.tensor(Float32Array.from(sum!, (v) => v / flips.length), outShape);
  };
}
