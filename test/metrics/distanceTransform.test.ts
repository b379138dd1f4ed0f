import { describe, expect, it } from 'vitest';
import { Random } from '../../src/common/index.js';
import { distanceTransform, maskBoundary, squaredDistanceTransform } from '../../src/metrics/index.js';
import { bruteBoundary, bruteDistance, coords, randomMask } from './reference.js';

function bruteDT(features: Uint8Array, shape: number[], spacing: number[]): number[] {
  const sites: number[][] = [];
  for (let i = 0; i < features.length; i++) if (features[i]) sites.push(coords(i, shape));
  return Array.from(features, (_, i) => {
    const c = coords(i, shape);
    return sites.length === 0 ? Infinity : Math.min(...sites.map((s) => bruteDistance(c, s, spacing)));
  });
}

describe('distanceTransform (Felzenszwalb–Huttenlocher) against brute force', () => {
  it.each([
    [[17], [0.7], 0.15],
    [[9, 13], [1, 1], 0.1],
    [[11, 8], [2.5, 0.6], 0.05],
    [[7, 9, 6], [1.5, 0.7, 1.1], 0.04],
    [[5, 6, 12], [3, 1, 0.5], 0.02],
    [[6, 6, 6], [1, 1, 1], 0.005],
  ])('shape %j spacing %j density %f', (shape, spacing, density) => {
    const rng = new Random(shape.reduce((a, b) => a * 31 + b, 7));
    for (let trial = 0; trial < 4; trial++) {
      const size = shape.reduce((a, b) => a * b, 1);
      const f = new Uint8Array(size);
      for (let i = 0; i < size; i++) f[i] = rng.next() < density ? 1 : 0;
      f[rng.int(0, size - 1)] = 1;
      const got = distanceTransform(f, shape, spacing);
      const want = bruteDT(f, shape, spacing);
      for (let i = 0; i < size; i++) expect(got[i]).toBeCloseTo(want[i]!, 9);
    }
  });

  it('gives +Infinity everywhere without a feature, and 0 on features', () => {
    expect(Array.from(squaredDistanceTransform(new Uint8Array(6), [2, 3], [1, 1]))).toEqual(new Array(6).fill(Infinity));
    const f = new Uint8Array([0, 0, 1, 0, 0]);
    expect(Array.from(squaredDistanceTransform(f, [5], [2]))).toEqual([16, 4, 0, 4, 16]);
  });

  it('rejects a spacing of the wrong length or sign, naming the values', () => {
    expect(() => distanceTransform(new Uint8Array(4), [2, 2], [1])).toThrow('squaredDistanceTransform: spacing has 1 entries for a 2D shape [2,2]');
    expect(() => distanceTransform(new Uint8Array(4), [2, 2], [1, 0])).toThrow('finite positive numbers, got [1,0]');
    expect(() => distanceTransform(new Uint8Array(5), [2, 2], [1, 1])).toThrow('5 values but shape [2,2] needs 4');
  });
});

describe('maskBoundary (face-connected erosion)', () => {
  it('keeps the ring of a 4x4 square and drops its 2x2 interior', () => {
    const m = new Uint8Array(36);
    for (let y = 1; y <= 4; y++) for (let x = 1; x <= 4; x++) m[y * 6 + x] = 1;
    const { boundary, count } = maskBoundary(m, [6, 6]);
    expect(count).toBe(12);
    expect([boundary[2 * 6 + 2], boundary[2 * 6 + 3], boundary[3 * 6 + 2], boundary[3 * 6 + 3]]).toEqual([0, 0, 0, 0]);
    expect(boundary[1 * 6 + 1]).toBe(1);
  });

  it('counts mask voxels on the image border as boundary (outside is background)', () => {
    const full = new Uint8Array(27).fill(1);
    const { boundary, count } = maskBoundary(full, [3, 3, 3]);
    expect(count).toBe(26);
    expect(boundary[13]).toBe(0);
  });

  it('uses the face (not the full) neighbourhood: a diagonal-only gap does not make a boundary', () => {
    // 5x5 filled except the corner (0,0): (1,1) touches (0,0) only diagonally, so it stays interior.
    const m = new Uint8Array(25).fill(1);
    m[0] = 0;
    expect(maskBoundary(m, [5, 5]).boundary[6]).toBe(0);
  });

  it.each([
    [[13, 11]],
    [[6, 7, 8]],
    [[25]],
  ])('matches a brute-force boundary on random masks of shape %j', (shape) => {
    const rng = new Random(99);
    for (let t = 0; t < 5; t++) {
      const m = randomMask(rng, shape, 3, 0.85);
      const { boundary, count } = maskBoundary(m, shape);
      const want = bruteBoundary(m, shape);
      expect(count).toBe(want.length);
      const got: number[] = [];
      boundary.forEach((v, i) => v && got.push(i));
      expect(got).toEqual(want);
    }
  });
});
