import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { allowLabelMapTargets, getLoss, LOSS_NAMES } from '../../src/losses/index.js';

// No tensor leaks: tf.memory().numTensors is unchanged over repeated calls, gradient
// computations and model.fit steps (after one warm-up step, when the optimizer creates its slots).
describe.each(LOSS_NAMES)('%s leaks no tensors', (name) => {
  const options = name === 'dl2' || name === 'ss' ? {} : { batch: false };
  const C = name === 'dl2' ? 2 : 3;

  it('over repeated calls and gradients', () => {
    const yTrue = tf.tensor(Array.from({ length: 2 * 6 * 6 }, (_, i) => i % C), [2, 6, 6, 1], 'int32');
    const yPred = tf.randomNormal([2, 6, 6, C], 0, 1, 'float32', 1);
    const loss = getLoss(name, options);
    const gradFn = tf.grad((x: tf.Tensor) => loss(yTrue, x));
    tf.dispose([loss(yTrue, yPred), gradFn(yPred)]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) {
      loss(yTrue, yPred).dispose();
      gradFn(yPred).dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([yTrue, yPred]);
  });

  it('over model.fit steps with label-map targets', async () => {
    const model = tf.sequential({
      layers: [tf.layers.conv2d({ inputShape: [6, 6, 1], filters: C, kernelSize: 3, padding: 'same', kernelInitializer: 'glorotNormal' })],
    });
    model.compile({ optimizer: tf.train.adam(1e-3), loss: getLoss(name, options) });
    allowLabelMapTargets(model);
    const x = tf.randomNormal([2, 6, 6, 1], 0, 1, 'float32', 2);
    const y = tf.tensor(Array.from({ length: 72 }, (_, i) => (i % 7 === 0 ? 1 : 0)), [2, 6, 6, 1], 'int32').toFloat();
    await model.fit(x, y, { epochs: 1, verbose: 0 });
    const before = tf.memory().numTensors;
    await model.fit(x, y, { epochs: 3, verbose: 0 });
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
    tf.dispose([x, y]);
  });
});
