import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { overlapStatistics } from '../../src/losses/index.js';
import type { OverlapStatistic } from '../../src/losses/index.js';
import { maxRelativeError } from './helpers.js';
import { Random } from '../../src/common/random.js';

const referenceOnly: OverlapStatistic[] = ['sumR', 'sumR2', 'sumAbsR'];
const all: OverlapStatistic[] = ['tp', 'sumP', 'sumR', 'sumP2', 'sumR2', 'sumAbsP', 'sumAbsR', 'absDiff', 'sqDiff', 'sqDiffR'];

describe('overlapStatistics: fused single pass equals the composed TF.js ops', () => {
  const rng = new Random(5);
  const p = tf.tensor3d(Float32Array.from({ length: 3 * 50 * 4 }, () => rng.next()), [3, 50, 4]);
  const r = tf.tensor3d(Float32Array.from({ length: 3 * 50 * 4 }, () => (rng.next() < 0.3 ? 1 : rng.next() < 0.5 ? 0 : rng.next())), [3, 50, 4]);

  it.each(all)('%s: value and gradient', (stat) => {
    const fused = overlapStatistics(p, r, [stat], { implementation: 'fused' })[stat];
    const composed = overlapStatistics(p, r, [stat], { implementation: 'composed' })[stat];
    expect(fused.shape).toEqual([3, 4]);
    expect(maxRelativeError(fused.dataSync(), composed.dataSync())).toBeLessThan(1e-5);
    // A random linear functional of the statistic, so that every output's gradient contributes.
    const w = tf.tensor2d(Float32Array.from({ length: 12 }, () => rng.next() - 0.5), [3, 4]);
    const gradOf = (impl: 'fused' | 'composed') =>
      tf.grad((x: tf.Tensor) => tf.sum(tf.mul(w, overlapStatistics(x as tf.Tensor3D, r, [stat], { implementation: impl })[stat])))(p);
    if (referenceOnly.includes(stat)) {
      // Sums of the reference alone do not depend on p: the fused gradient is exactly zero.
      expect(Array.from(gradOf('fused').dataSync()).every((v) => v === 0)).toBe(true);
    } else {
      expect(maxRelativeError(gradOf('fused').dataSync(), gradOf('composed').dataSync(), 1e-3)).toBeLessThan(1e-5);
    }
  });

  it('several statistics at once share one pass and match individually computed ones', () => {
    const many = overlapStatistics(p, r, all, { implementation: 'fused' });
    for (const s of all) expect(maxRelativeError(many[s].dataSync(), overlapStatistics(p, r, [s], { implementation: 'composed' })[s].dataSync())).toBeLessThan(1e-5);
  });

  it('firstChannel drops leading channels from the sums, with the same values and gradients', () => {
    const sliced = overlapStatistics(p, r, ['tp', 'sumP'], { firstChannel: 1 });
    const full = overlapStatistics(p, r, ['tp', 'sumP']);
    expect(sliced.tp.shape).toEqual([3, 3]);
    expect(Array.from(sliced.tp.dataSync())).toEqual(Array.from(tf.slice(full.tp, [0, 1], [3, 3]).dataSync()));
    const g = tf.grad((x: tf.Tensor) => tf.sum(overlapStatistics(x as tf.Tensor3D, r, ['tp'], { firstChannel: 1 }).tp))(p).dataSync();
    // Channel 0 gets no gradient; the others get r (d Σpr / dp = r).
    const rv = r.dataSync();
    for (let i = 0; i < g.length; i++) expect(g[i]).toBeCloseTo(i % 4 === 0 ? 0 : rv[i]!, 6);
    expect(() => overlapStatistics(p, r, ['tp'], { firstChannel: 4 })).toThrow(/overlapStatistics: firstChannel must be in 0\.\.3, got 4/);
  });

  it('rejects mismatched shapes naming both', () => {
    expect(() => overlapStatistics(p, tf.zeros([3, 49, 4]) as tf.Tensor3D, ['tp'])).toThrow(/overlapStatistics: .*\[3, 50, 4\] and \[3, 49, 4\]/);
  });
});
