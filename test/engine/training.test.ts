import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { resetEngine, selectEngine, type EngineName } from '../../src/engine/index.js';
import { installMissingGradients } from '../../src/engine/gradients/index.js';
import { addonLoads, maxRelError, NO_ADDON, randn, smallUNet } from './_helpers.js';

afterAll(() => resetEngine());
installMissingGradients();

const models = [
  { name: '2D U-Net', input: [2, 16, 16, 1], filters: [4, 8] },
  { name: '3D U-Net', input: [1, 8, 8, 8, 1], filters: [2, 4] },
];

/** Weights after two Adam steps (binary cross-entropy) from fixed initial weights and data. */
async function twoAdamSteps(engine: EngineName, input: number[], filters: number[]): Promise<Float32Array[]> {
  await selectEngine({ engine, quiet: true });
  const model = smallUNet(input.slice(1), filters, 7);
  const optimizer = tf.train.adam(1e-2);
  const x = tf.tensor(randn(input, 21).values, input);
  const y = tf.tidy(() => tf.tensor(randn([...input.slice(0, -1), 1], 22).values, [...input.slice(0, -1), 1]).greater(1.2).toFloat());
  for (let i = 0; i < 2; i++) {
    tf.tidy(() => {
      optimizer.minimize(() => tf.losses.sigmoidCrossEntropy(y, model.predict(x) as tf.Tensor), false);
    });
  }
  const weights = model.getWeights().map((w) => Float32Array.from(w.dataSync() as Float32Array));
  tf.dispose([x, y]);
  optimizer.dispose();
  model.dispose();
  return weights;
}

describe.each(models)('$name: two Adam steps give the same weights on every engine', ({ input, filters }) => {
  let reference: Float32Array[] = [];
  it('stock cpu (reference) moves the weights', async () => {
    reference = await twoAdamSteps('cpu', input, filters);
    await selectEngine({ engine: 'cpu', quiet: true });
    const initial = tf.tidy(() => smallUNet(input.slice(1), filters, 7).getWeights().map((w) => Float32Array.from(w.dataSync() as Float32Array)));
    expect(maxRelError(reference, initial)).toBeGreaterThan(1e-3);
  });
  it.skipIf(!addonLoads)('native', async () => {
    expect(maxRelError(await twoAdamSteps('native', input, filters), reference)).toBeLessThan(1e-5);
  });
  it('wasm fallback', async () => {
    expect(maxRelError(await twoAdamSteps('wasm', input, filters), reference)).toBeLessThan(1e-5);
  });
  it.skipIf(addonLoads)(`native case skipped: ${NO_ADDON}`, () => {
    expect(addonLoads).toBe(false);
  });
});

describe('no growth of tensors or memory over many steps on the default engine', () => {
  it('200 steps of a tiny 2D U-Net and 50 of a tiny 3D one keep tensor count and bytes constant', async () => {
    resetEngine();
    const info = await selectEngine({ quiet: true });
    for (const { input, filters, steps } of [
      { input: [1, 8, 8, 1], filters: [2, 4], steps: 200 },
      { input: [1, 4, 4, 4, 1], filters: [2, 2], steps: 50 },
    ]) {
      const model = smallUNet(input.slice(1), filters, 3);
      const optimizer = tf.train.adam(1e-3);
      const x = tf.randomUniform(input);
      const y = tf.tidy(() => tf.randomUniform([...input.slice(0, -1), 1]).greater(0.5).toFloat());
      const step = () => tf.tidy(() => { optimizer.minimize(() => tf.losses.sigmoidCrossEntropy(y, model.predict(x) as tf.Tensor), false); });
      step();
      const before = tf.memory();
      for (let i = 0; i < steps; i++) step();
      const after = tf.memory();
      expect(after.numTensors, `${info.engine} ${input}`).toBe(before.numTensors);
      expect(after.numBytes, `${info.engine} ${input}`).toBe(before.numBytes);
      tf.dispose([x, y]);
      optimizer.dispose();
      model.dispose();
    }
  });
});
