import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { firstBreak, tensorPasses, type ValueRule } from '../../src/engine/index.js';
import { loadAddon } from '../../src/engine/node/addon.js';
import { resetEngine, selectEngine } from '../../src/engine/node/index.js';
import { generalizedDiceLoss } from '../../src/losses/index.js';
import { NO_ADDON } from './_helpers.js';

const addon = loadAddon();
const scans = addon.ok && typeof addon.addon.scanValues === 'function';

/** The rules as the losses' JS loops state them. */
const reference: Record<ValueRule, (v: number, limit: number) => boolean> = {
  finite: (v) => Number.isFinite(v),
  unitInterval: (v) => v >= 0 && v <= 1,
  binary: (v) => v === 0 || v === 1,
  label: (v, limit) => Number.isInteger(v) && v >= 0 && v < limit,
};

const planted: Array<[ValueRule, number, number]> = [
  ['finite', Number.NaN, 0],
  ['finite', Number.POSITIVE_INFINITY, 0],
  ['finite', Number.NEGATIVE_INFINITY, 0],
  ['unitInterval', -0.25, 0],
  ['unitInterval', 1.5, 0],
  ['unitInterval', Number.NaN, 0],
  ['binary', 0.5, 0],
  ['binary', 2, 0],
  ['label', 2.5, 4],
  ['label', 4, 4],
  ['label', -1, 4],
  ['label', Number.NaN, 4],
];

describe.skipIf(!scans)('native value scans (valueScan.ts, native/src/valueScan.cc)', () => {
  afterAll(() => resetEngine());

  it.each(planted)('%s: finds %s planted at several positions (first of two), -1 on clean values', async (rule, bad, limit) => {
    await selectEngine({ engine: 'native', quiet: true });
    const clean = rule === 'label' ? Float32Array.from({ length: 1000 }, (_, i) => i % limit) : Float32Array.from({ length: 1000 }, (_, i) => i % 2);
    expect(clean.every((v) => reference[rule](v, limit))).toBe(true);
    expect(firstBreak(clean, rule, limit)).toBe(-1);
    for (const at of [0, 1, 517, 999]) {
      const values = clean.slice();
      values[at] = bad;
      if (at < 999) values[999] = bad;
      expect(reference[rule](values[at]!, limit)).toBe(false);
      expect(firstBreak(values, rule, limit)).toBe(at);
    }
  });

  it.each(planted)('%s: finds %s across the scan blocks of 1024 values (first of two)', async (rule, bad, limit) => {
    await selectEngine({ engine: 'native', quiet: true });
    const clean = Float32Array.from({ length: 5000 }, (_, i) => (rule === 'label' ? i % limit : i % 2));
    expect(firstBreak(clean, rule, limit)).toBe(-1);
    for (const at of [1023, 1024, 2047, 4096, 4999]) {
      const values = clean.slice();
      values[at] = bad;
      if (at < 4999) values[4999] = bad;
      expect(firstBreak(values, rule, limit)).toBe(at);
    }
  });

  it('tensorPasses scans a tensor where the cpu backend holds it, without reading it back', async () => {
    await selectEngine({ engine: 'native', quiet: true });
    // oneHot then a float cast: TF.js keeps its Float32Array under the int32 entry, dataSync() converts
    const oneHot = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 2, 1, 1], 'int32'), 3).toFloat());
    expect(tensorPasses(oneHot, 'binary')).toBe(true);
    expect(tensorPasses(oneHot, 'label', 1)).toBe(false);
    expect(tensorPasses(tf.tensor([0, 0.5, 1]), 'unitInterval')).toBe(true);
    expect(tensorPasses(tf.tensor([0, 0.5, Number.NaN]), 'finite')).toBe(false);
    expect(tensorPasses(tf.tensor([0, 3, 2], [3], 'int32'), 'label', 3)).toBe(false);
    expect(tensorPasses(tf.tensor([0, 1], [2], 'bool'), 'binary')).toBeUndefined();
    await selectEngine({ engine: 'cpu', quiet: true });
    expect(tensorPasses(tf.tensor([0, 1]), 'binary')).toBeUndefined();
    oneHot.dispose();
  });

  it('takes int32 labels, leaves other arrays and other engines to the caller', async () => {
    await selectEngine({ engine: 'native', quiet: true });
    expect(firstBreak(Int32Array.from([0, 1, 3, 2]), 'label', 3)).toBe(2);
    expect(firstBreak([0, 1], 'finite')).toBeUndefined();
    expect(firstBreak(Uint8Array.from([0, 1]), 'binary')).toBeUndefined();
    resetEngine();
    expect(firstBreak(Float32Array.from([Number.NaN]), 'finite')).toBeUndefined();
  });

  it("GDL's input errors name the same value and index on the native engine as on stock cpu", async () => {
    const messages = async (engine: 'native' | 'cpu'): Promise<string[]> => {
      await selectEngine({ engine, quiet: true });
      const loss = generalizedDiceLoss();
      const pred = Float32Array.from({ length: 2 * 8 * 2 }, (_, i) => Math.sin(i));
      pred[11] = Number.NaN;
      const target = Float32Array.from({ length: 2 * 8 * 2 }, (_, i) => i % 2);
      const soft = target.slice();
      soft[5] = 1.25;
      const labels = Int32Array.from({ length: 16 }, (_, i) => i % 2);
      labels[7] = 2;
      const cases: Array<() => unknown> = [
        () => loss(tf.tensor(target, [2, 8, 2]), tf.tensor(pred, [2, 8, 2])),
        () => loss(tf.tensor(soft, [2, 8, 2]), tf.tensor(target, [2, 8, 2])),
        () => loss(tf.tensor(labels, [2, 8, 1], 'int32'), tf.tensor(target, [2, 8, 2])),
      ];
      return cases.map((f) => {
        try {
          tf.tidy(() => f() as tf.Tensor);
          return 'no error';
        } catch (err) {
          return String(err);
        }
      });
    };
    const native = await messages('native');
    expect(native.every((m) => /flat index (11|5|7)/.test(m))).toBe(true);
    expect(native).toEqual(await messages('cpu'));
  });
});

describe.skipIf(scans)('native value scans', () => {
  it.skip(NO_ADDON, () => undefined);
});
