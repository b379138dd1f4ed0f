import { describe, expect, it } from 'vitest';
import { clipPercentiles, createVolume, remapLabels, zScore } from '../../src/data/index.js';
import { percentile } from '../../src/common/stats.js';

describe('normalisation', () => {
  it('z-scores each channel over all voxels or the non-zero ones', () => {
    const v = createVolume(Float32Array.from([1, 2, 3, 4, 0, 0, 10, 20]), [2, 2], { channels: 2 });
    const all = zScore(v);
    const sd = Math.sqrt(1.25);
    expect(Array.from(all.data.subarray(0, 4))).toEqual([-1.5 / sd, -0.5 / sd, 0.5 / sd, 1.5 / sd].map(Math.fround));
    const nz = zScore(v, { mask: 'nonzero' });
    // channel 2 over {10, 20}: mean 15, sd 5
    expect(Array.from(nz.data.subarray(4))).toEqual([-3, -3, -1, 1]);
    const constant = zScore(createVolume(Float32Array.from([7, 7, 7, 7]), [2, 2]));
    expect(Array.from(constant.data)).toEqual([0, 0, 0, 0]);
    expect(() => zScore(v, { mask: new Uint8Array(3) })).toThrow(/zScore: mask must be 'all', 'nonzero' or a Uint8Array of 4 voxels, got length 3/);
  });

  it('percentiles interpolate linearly and clip per channel', () => {
    expect(percentile([1, 2, 3, 4, 5], 50)).toBe(3);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentile([10, 0], 100)).toBe(10);
    const v = createVolume(Float32Array.from({ length: 101 }, (_, i) => i), [101, 1].slice(0, 2));
    const clipped = clipPercentiles(v, { lower: 10, upper: 90 });
    expect(clipped.data[0]).toBe(10);
    expect(clipped.data[50]).toBe(50);
    expect(clipped.data[100]).toBe(90);
    expect(() => clipPercentiles(v, { lower: 90, upper: 10 })).toThrow(/need 0 ≤ lower < upper ≤ 100/);
  });

  it('remaps labels and reports unmapped values', () => {
    const v = createVolume(Uint8Array.from([0, 1, 2, 4]), [2, 2]);
    expect(Array.from(remapLabels(v, { 0: 0, 1: 1, 2: 1, 4: 1 }).data)).toEqual([0, 1, 1, 1]);
    expect(() => remapLabels(v, { 0: 0, 1: 1 })).toThrow(/remapLabels: values 2, 4 have no mapping/);
    expect(Array.from(remapLabels(v, { 4: 3 }, { unmapped: 'zero' }).data)).toEqual([0, 0, 0, 3]);
    expect(Array.from(remapLabels(v, new Map([[4, 300]]), { unmapped: 'keep' }).data)).toEqual([0, 1, 2, 300]);
  });
});
