import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/common/index.js';
import { fusedSoftmaxOverlap, softmaxOverlapAvailable } from '../../src/engine/index.js';
import { loadAddon } from '../../src/engine/node/addon.js';
import { resetEngine, selectEngine } from '../../src/engine/node/index.js';
import { generalizedDiceLoss } from '../../src/losses/index.js';
import { NO_ADDON, onEngine, randn, relError, tensor } from './_helpers.js';

const addon = loadAddon();
const fused = addon.ok && typeof addon.addon.softmaxOverlap === 'function';

/** A label map with about `fraction` foreground, classes 1..C−1 (class C−1 absent when `absentLast`). */
function labels(shape: number[], classes: number, fraction: number, seed: number, absentLast = false): tf.Tensor {
  const r = new Random(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const top = absentLast ? classes - 2 : classes - 1;
  const v = Int32Array.from({ length: n }, () => (r.next() < fraction ? 1 + Math.floor(r.next() * top) : 0));
  return tf.tensor(v, [...shape, 1], 'int32');
}

interface Case {
  name: string;
  shape: number[];
  classes: number;
  options?: Parameters<typeof generalizedDiceLoss>[0];
  oneHot?: boolean;
  absentLast?: boolean;
  scale?: number;
}

const cases: Case[] = [
  { name: '3D, one-hot target, 3 classes', shape: [2, 6, 5, 4], classes: 3, oneHot: true },
  { name: '2D, label map, 2 classes, more voxels than one chunk', shape: [2, 130, 130], classes: 2 },
  { name: '3D, a class absent from the reference, background excluded', shape: [2, 5, 5, 5], classes: 4, absentLast: true, options: { includeBackground: false } },
  { name: 'large logits (softmax stability), batch mode', shape: [3, 7, 9], classes: 3, scale: 40, options: { batch: true } },
];

describe.skipIf(!fused)('fused softmax and overlap sums (GendiceSoftmaxOverlap) against the stock composition', () => {
  afterAll(() => resetEngine());

  it('is registered on the native engine only', async () => {
    await selectEngine({ engine: 'native', quiet: true });
    expect(softmaxOverlapAvailable()).toBe(true);
    await selectEngine({ engine: 'cpu', quiet: true });
    expect(softmaxOverlapAvailable()).toBe(false);
  });

  it.each(cases)('GDL value and gradient equal the stock cpu composition: $name', async (c) => {
    const logits = randn([...c.shape, c.classes], 11);
    if (c.scale !== undefined) logits.values.forEach((v, i) => (logits.values[i] = v * c.scale!));
    const run = () => {
      const map = labels(c.shape, c.classes, 0.1, 5, c.absentLast);
      const target = c.oneHot ? tf.oneHot(tf.reshape(map, c.shape), c.classes).toFloat() : map;
      const loss = generalizedDiceLoss(c.options);
      const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => loss(target, x) as tf.Scalar)(tensor(logits));
      return [value, grad];
    };
    const native = await onEngine('native', run);
    const stock = await onEngine('cpu', run);
    expect(relError(native[0]!, stock[0]!)).toBeLessThan(1e-5);
    expect(relError(native[1]!, stock[1]!)).toBeLessThan(1e-4);
    expect(Math.max(...stock[1]!.map(Math.abs))).toBeGreaterThan(0); // a gradient that can differ
  });

  it('gives the sums of softmax(logits) and the target, and the softmax-chain gradient of a weighted sum', async () => {
    const x = randn([2, 40, 3], 3);
    const t = tf.tidy(() => tf.oneHot(labels([2, 40], 3, 0.3, 9).reshape([2, 40]), 3).toFloat());
    const tv = { shape: [2, 40, 3], values: Float32Array.from(t.dataSync()) };
    const w = randn([2, 3, 3], 4);
    // stats(logits) as [B, 3, C], fused or composed
    const native = await onEngine('native', () => {
      const lx = tensor(x);
      const target = tensor(tv) as tf.Tensor3D;
      const stats = (l: tf.Tensor) => {
        const s = fusedSoftmaxOverlap(l as tf.Tensor3D, target);
        return tf.stack([s.tp, s.sumP, s.sumR], 1);
      };
      return [stats(lx), tf.grad((l: tf.Tensor) => tf.sum(tf.mul(stats(l), tensor(w))))(lx)];
    });
    const stock = await onEngine('cpu', () => {
      const lx = tensor(x);
      const target = tensor(tv);
      const stats = (l: tf.Tensor) => {
        const p = tf.softmax(l);
        return tf.stack([tf.sum(tf.mul(p, target), 1), tf.sum(p, 1), tf.sum(target, 1)], 1);
      };
      return [stats(lx), tf.grad((l: tf.Tensor) => tf.sum(tf.mul(stats(l), tensor(w))))(lx)];
    });
    expect(relError(native[0]!, stock[0]!)).toBeLessThan(1e-6);
    expect(relError(native[1]!, stock[1]!)).toBeLessThan(1e-5);
    t.dispose();
  });
});

describe.skipIf(fused)('fused softmax and overlap sums', () => {
  it.skip(NO_ADDON, () => undefined);
});
