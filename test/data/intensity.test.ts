import { describe, expect, it } from 'vitest';
import { createVolume, nonzeroMask, normalizeIntensities, schemeForModality } from '../../src/data/index.js';

describe('schemeForModality', () => {
  it.each([
    ['CT', false, 'ct'],
    [' ct ', true, 'ct'],
    ['T2', false, 'zscore'],
    ['FLAIR', true, 'zscore-nonzero'],
    ['noNorm', true, 'none'],
  ] as const)('%j (nonzero mask %s) → %s', (name, mask, scheme) => {
    expect(schemeForModality(name, mask)).toBe(scheme);
  });
});

describe('normalizeIntensities', () => {
  // Channel 0: MRI-like with a zero background; channel 1: CT in HU.
  const mri = [0, 0, 10, 20, 30, 0];
  const ct = [-1000, -50, 40, 60, 3000, -1000];
  const v = createVolume(Float32Array.from([...mri, ...ct]), [3, 2], { channels: 2 });

  it('z-score over the case, z-score inside the non-zero mask of all channels (0 outside), CT with dataset statistics', () => {
    const statistics = { mean: 50, sd: 20, lower: -100, upper: 200 };
    const out = normalizeIntensities(v, [{ scheme: 'zscore-nonzero' }, { scheme: 'ct', statistics }]);
    expect(out.datatype).toBe('float32');
    // The CT channel is non-zero everywhere, so the union mask covers every voxel: z-score of all of channel 0.
    const mean = 10;
    const sd = Math.sqrt(mri.reduce((s, x) => s + (x - mean) ** 2, 0) / 6);
    Array.from(out.data.subarray(0, 6)).forEach((x, i) => expect(x).toBeCloseTo((mri[i]! - mean) / sd, 5));
    expect(Array.from(out.data.subarray(6))).toEqual([-7.5, -5, -0.5, 0.5, 7.5, -7.5]);
  });

  it('inside the non-zero mask only, when the other channels are zero there too', () => {
    const single = createVolume(Float32Array.from(mri), [3, 2]);
    const out = normalizeIntensities(single, [{ scheme: 'zscore-nonzero' }]);
    // Over {10, 20, 30}: mean 20, sd √(200/3).
    const sd = Math.sqrt(200 / 3);
    expect(Array.from(out.data).map((x) => Number(x.toFixed(5)))).toEqual([0, 0, -10 / sd, 0, 10 / sd, 0].map((x) => Number(x.toFixed(5))));
    const plain = normalizeIntensities(single, [{ scheme: 'zscore' }]);
    expect(plain.data[0]).toBeLessThan(-0.5);
    expect(Array.from(nonzeroMask(single))).toEqual([0, 0, 1, 1, 1, 0]);
  });

  it("'none' copies; a constant channel z-scores to zeros; CT with sd 0 uses the 1e-8 floor", () => {
    const constant = createVolume(Float32Array.from([5, 5, 5, 5, 5, 5]), [3, 2]);
    expect(Array.from(normalizeIntensities(constant, [{ scheme: 'zscore' }]).data)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Array.from(normalizeIntensities(constant, [{ scheme: 'none' }]).data)).toEqual([5, 5, 5, 5, 5, 5]);
    const ctFlat = normalizeIntensities(constant, [{ scheme: 'ct', statistics: { mean: 5, sd: 0, lower: 0, upper: 10 } }]);
    expect(Array.from(ctFlat.data)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('refuses a wrong number of schemes, an unknown scheme and bad CT statistics', () => {
    expect(() => normalizeIntensities(v, [{ scheme: 'zscore' }])).toThrow('normalizeIntensities: 1 channel scheme(s) for a volume of 2 channel(s)');
    expect(() => normalizeIntensities(v, [{ scheme: 'zscore' }, { scheme: 'zcore' } as never])).toThrow(
      "normalizeIntensities: channel 1: scheme must be one of 'zscore', 'zscore-nonzero', 'ct', 'none'; got 'zcore'",
    );
    expect(() => normalizeIntensities(v, [{ scheme: 'zscore' }, { scheme: 'ct', statistics: { mean: Number.NaN, sd: 1, lower: 0, upper: 1 } }])).toThrow(
      'normalizeIntensities: channel 1: CT statistics need finite mean, sd ≥ 0 and lower ≤ upper; got mean NaN, sd 1, lower 0, upper 1',
    );
  });
});
