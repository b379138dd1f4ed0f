import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { engineInfo, MAXOUT_KERNEL, resetEngine, type EngineName } from '../../src/engine/node/index.js';
import { Maxout } from '../../src/networks/layers/maxout.js';
import { addonLoads, maxRelError, NO_ADDON, onEngine, randn } from './_helpers.js';

// The engines' fused max-out kernel against the layer's composed path (split, maximum) on stock cpu:
// same values, same gradient (ties to the earlier piece, NaN passing the gradient on).
afterAll(() => resetEngine());

function valuesWithTiesAndNaN(shape: number[], seed: number): Float32Array {
  const v = randn(shape, seed).values;
  for (let i = 0; i < v.length; i++) if (i % 3 !== 0) v[i] = Math.round(v[i]!); // many equal values across pieces
  for (let i = 3; i < v.length; i += 97) v[i] = NaN;
  return v;
}

const cases = [
  { shape: [2, 5, 6, 8], pieces: 2 },
  { shape: [1, 4, 3, 9], pieces: 3 },
  { shape: [2, 3, 4, 5, 6], pieces: 2 },
];

function maxoutAndGradient(shape: number[], pieces: number, values: Float32Array): () => tf.Tensor[] {
  return () => {
    const layer = new Maxout({ pieces });
    const x = tf.tensor(values, shape);
    const weights = tf.tensor(randn([shape[shape.length - 1]! / pieces], 3).values);
    const f = (t: tf.Tensor) => tf.sum(tf.mul(layer.apply(t) as tf.Tensor, weights));
    return [layer.apply(x) as tf.Tensor, tf.grad(f)(x)];
  };
}

const engines: EngineName[] = ['native', 'wasm'];
describe.each(engines)('fused max-out on %s', (engine) => {
  it.skipIf(engine === 'native' && !addonLoads).each(cases)(`${engine}: $shape, $pieces pieces`, async ({ shape, pieces }) => {
    const fn = maxoutAndGradient(shape, pieces, valuesWithTiesAndNaN(shape, 1));
    const ref = await onEngine('cpu', fn);
    expect(tf.getKernel(MAXOUT_KERNEL, 'cpu')).toBeUndefined();
    const got = await onEngine(engine, fn);
    expect(engineInfo().replacedKernels.map((k) => k.kernelName)).toContain(MAXOUT_KERNEL);
    expect(maxRelError(got, ref)).toBe(0);
  });
});

it.skipIf(addonLoads)(`native max-out cases are skipped: ${NO_ADDON}`, () => {
  expect(addonLoads).toBe(false);
});
