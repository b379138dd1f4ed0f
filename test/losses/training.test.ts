import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { getLoss, LOSS_NAMES } from '../../src/losses/index.js';

// Each loss trains: a tiny fully convolutional network on a synthetic 24×24 image whose
// foreground (a bright disc, about 3% of the pixels, in noise) must be segmented.
function syntheticImage(): { x: tf.Tensor4D; y: tf.Tensor4D } {
  const n = 24;
  const img = new Float32Array(n * n);
  const lab = new Float32Array(n * n);
  let seed = 3;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      const inside = (i - 8) ** 2 + (j - 15) ** 2 <= 5;
      lab[i * n + j] = inside ? 1 : 0;
      img[i * n + j] = (inside ? 1 : 0) + 0.3 * (rand() - 0.5);
    }
  return { x: tf.tensor4d(img, [1, n, n, 1]), y: tf.tensor4d(lab, [1, n, n, 1]) };
}

describe('each loss trains a tiny network', () => {
  it.each(LOSS_NAMES)('%s: the loss decreases over 40 Adam steps', (name) => {
    const { x, y } = syntheticImage();
    const fraction = y.mean().dataSync()[0]!;
    expect(fraction).toBeGreaterThan(0.02);
    expect(fraction).toBeLessThan(0.05);
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [24, 24, 1], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }) }),
        tf.layers.conv2d({ filters: 2, kernelSize: 1, kernelInitializer: tf.initializers.glorotNormal({ seed: 2 }) }),
      ],
    });
    const loss = getLoss(name);
    const optimizer = tf.train.adam(0.05);
    const losses: number[] = [];
    for (let step = 0; step < 40; step++) {
      const value = optimizer.minimize(() => loss(y, model.apply(x) as tf.Tensor) as tf.Scalar, true)!;
      losses.push(value.dataSync()[0]!);
      value.dispose();
    }
    const first = losses[0]!;
    const last = losses[losses.length - 1]!;
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(last).toBeLessThan(first - 0.1 * Math.abs(first));
    model.dispose();
    optimizer.dispose();
    tf.dispose([x, y]);
  });
});
