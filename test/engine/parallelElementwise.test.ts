import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { resetEngine } from '../../src/engine/node/index.js';
import { addonLoads, NO_ADDON, onEngine, randn, tensor } from './_helpers.js';

// Outputs above 2^18 elements: the addon's binary and unary loops split them across OpenMP threads by rows.
const x = randn([2, 40, 40, 40, 5], 1); // 640,000 elements
const bias = randn([5], 2);
const middle = randn([1, 40, 1, 1, 1], 3);
const odd = randn([2, 1, 41, 1, 7], 4); // rows that do not divide evenly between threads

describe.skipIf(!addonLoads)('multi-threaded memory-bound kernels equal stock cpu bit for bit', () => {
  afterAll(() => resetEngine());

  it('bias add, broadcast multiply on a middle axis, sub, div, relu, step, sqrt, square, neg, abs', async () => {
    const f = () => {
      const y = tf.add(tensor(x), tensor(bias));
      const wide = tf.mul(tensor(x), tensor(middle));
      const z = tf.sub(wide, tf.div(tensor(x), tf.add(tf.abs(tensor(middle)), 1)));
      const big = tf.mul(tf.ones([2, 40, 41, 40, 7]), tensor(odd));
      return [y, wide, z, tf.relu(y), tf.step(z), tf.sqrt(tf.abs(z)), tf.square(y), tf.neg(y), big];
    };
    const native = await onEngine('native', f);
    const stock = await onEngine('cpu', f);
    native.forEach((v, i) => expect(Array.from(v)).toEqual(Array.from(stock[i]!)));
    expect(native[0]!.length).toBeGreaterThan(1 << 18);
  });
});

describe.skipIf(addonLoads)('multi-threaded memory-bound kernels', () => {
  it.skip(NO_ADDON, () => undefined);
});
