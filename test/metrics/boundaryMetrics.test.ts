import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { Random } from '../../src/common/index.js';
import { averageSurfaceDistance, hausdorffDistance, surfaceDice, surfaceDistances } from '../../src/metrics/index.js';
import { percentile as linearPercentile } from '../../src/common/stats.js';
import type { EmptyPolicy } from '../../src/metrics/index.js';
import { bruteDirected, brutePercentile, randomMask } from './reference.js';

const map2d = (rows: number[][]) => ({ data: rows.flat(), shape: [1, rows.length, rows[0]!.length, 1] });

// P: a 3x3 square at columns 0-2; R: the same square shifted right by one column.
const P = map2d([
  [1, 1, 1, 0, 0],
  [1, 1, 1, 0, 0],
  [1, 1, 1, 0, 0],
  [0, 0, 0, 0, 0],
]);
const R = map2d([
  [0, 1, 1, 1, 0],
  [0, 1, 1, 1, 0],
  [0, 1, 1, 1, 0],
  [0, 0, 0, 0, 0],
]);

describe('boundary metrics: hand-computed cases', () => {
  // Boundaries have 8 pixels each; D_PR = D_RP = {0,0,0,0,1,1,1,1} (sorted), in pixels.
  it('shifted squares: HD 1, HD50 0.5, ASD 0.5, surface Dice 0.5 at 0.5 and 1 at 1', () => {
    expect(hausdorffDistance(P, R).values).toEqual([[1]]);
    expect(hausdorffDistance(P, R, { percentile: 50 }).values).toEqual([[0.5]]);
    expect(averageSurfaceDistance(P, R).values).toEqual([[0.5]]);
    expect(surfaceDice(P, R, { toleranceMm: 0.5 }).values).toEqual([[0.5]]);
    expect(surfaceDice(P, R, { toleranceMm: 1 }).values).toEqual([[1]]);
  });

  it('scales with anisotropic spacing along the shift axis', () => {
    expect(hausdorffDistance(P, R, { spacing: [1, 2.5] }).values[0]![0]).toBeCloseTo(2.5, 12);
    expect(averageSurfaceDistance(P, R, { spacing: [4, 2.5] }).values[0]![0]).toBeCloseTo(1.25, 12);
    // Row spacing does not matter: every nearest boundary pixel is in the same row.
    expect(hausdorffDistance(P, R, { spacing: [7, 1] }).values).toEqual([[1]]);
  });

  it('single voxels 3 rows and 4 columns apart: 5 at 1 mm, sqrt(6² + 4²) at spacing [2, 1]', () => {
    const p = map2d([[1, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]]);
    const r = map2d([[0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 1]]);
    expect(hausdorffDistance(p, r).values).toEqual([[5]]);
    expect(hausdorffDistance(p, r, { spacing: [2, 1] }).values[0]![0]).toBeCloseTo(Math.sqrt(36 + 16), 12);
    expect(averageSurfaceDistance(p, r, { spacing: [2, 1] }).values[0]![0]).toBeCloseTo(Math.sqrt(36 + 16), 12);
    expect(surfaceDice(p, r, { toleranceMm: 5 }).values).toEqual([[1]]);
    expect(surfaceDice(p, r, { toleranceMm: 4.99 }).values).toEqual([[0]]);
  });

  it('scores foreground classes only by default and every class with includeBackground', () => {
    const r = hausdorffDistance(P, R);
    expect(r.classes).toEqual([1]);
    const withBg = hausdorffDistance(P, R, { includeBackground: true });
    expect(withBg.classes).toEqual([0, 1]);
    expect(withBg.values[0]![1]).toBe(1);
  });

  it('reads TF.js tensors, one-hot channels and thresholded probabilities alike', () => {
    const onehot = (m: { data: number[]; shape: number[] }) => ({ data: m.data.flatMap((v) => [1 - v, v]), shape: [1, 4, 5, 2] });
    expect(hausdorffDistance(onehot(P), onehot(R)).values).toEqual([[1]]);
    const probs = tf.tensor4d(P.data.map((v) => (v ? 0.8 : 0.1)), [1, 4, 5, 1]);
    const ref = tf.tensor4d(R.data, [1, 4, 5, 1], 'int32');
    const res = averageSurfaceDistance(probs, ref);
    expect(res.values).toEqual([[0.5]]);
    expect(res.binarization).toBe('threshold');
    expect(res.threshold).toBe(0.5);
    probs.dispose();
    ref.dispose();
  });
});

describe('boundary metrics against an all-pairs brute force on random masks', () => {
  it.each([
    ['2D', [19, 23], [0.8, 1.7]],
    ['2D isotropic', [16, 16], [1, 1]],
    ['3D', [9, 11, 10], [2.5, 0.9, 1.3]],
    ['3D thin slices', [6, 14, 12], [4, 0.7, 0.7]],
  ])('%s shape %j spacing %j', (_name, shape, spacing) => {
    const rng = new Random(shape.reduce((a, b) => a * 17 + b, 3));
    for (let t = 0; t < 6; t++) {
      const p = randomMask(rng, shape, 2, 0.8);
      const r = randomMask(rng, shape, 2, 0.8);
      if (!p.some((v) => v) || !r.some((v) => v)) continue;
      const dPR = bruteDirected(p, r, shape, spacing);
      const dRP = bruteDirected(r, p, shape, spacing);
      const d = surfaceDistances(p, r, shape, spacing);
      const sortNum = (a: ArrayLike<number>) => Array.from(a).sort((x, y) => x - y);
      const gotPR = sortNum(d.predToRef);
      const wantPR = sortNum(dPR);
      expect(gotPR.length).toBe(wantPR.length);
      gotPR.forEach((v, i) => expect(v).toBeCloseTo(wantPR[i]!, 9));
      const gotRP = sortNum(d.refToPred);
      sortNum(dRP).forEach((v, i) => expect(gotRP[i]).toBeCloseTo(v, 9));

      const input = (m: Uint8Array) => ({ data: m, shape: [1, ...shape, 1] });
      for (const q of [100, 95, 50, 0]) {
        const want = Math.max(brutePercentile(dPR, q), brutePercentile(dRP, q));
        expect(hausdorffDistance(input(p), input(r), { spacing, percentile: q }).values[0]![0]).toBeCloseTo(want, 9);
      }
      const all = [...dPR, ...dRP];
      expect(averageSurfaceDistance(input(p), input(r), { spacing }).values[0]![0]).toBeCloseTo(all.reduce((a, b) => a + b, 0) / all.length, 9);
      const tol = 1.5 * Math.max(...spacing);
      expect(surfaceDice(input(p), input(r), { spacing, toleranceMm: tol }).values[0]![0]).toBeCloseTo(all.filter((x) => x <= tol).length / all.length, 12);
    }
  });

  it('the percentile of the distances interpolates like numpy.percentile', () => {
    expect(linearPercentile(new Float64Array([4, 1, 3, 2]), 50)).toBe(2.5);
    expect(linearPercentile(new Float64Array([10, 0]), 95)).toBeCloseTo(9.5, 12);
    expect(linearPercentile(new Float64Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), 95)).toBeCloseTo(10.5, 12);
    expect(linearPercentile(new Float64Array([]), 95)).toBeNaN();
  });
});

describe('boundary metrics: every empty combination under every policy', () => {
  const empty = map2d([[0, 0, 0], [0, 0, 0]]);
  const some = map2d([[0, 1, 1], [0, 0, 0]]);
  const diagonal = Math.sqrt(2 * 2 + 3 * 3); // 2x3 image at 1 mm
  const cases: [string, typeof empty, typeof empty][] = [
    ['both empty', empty, empty],
    ['reference only (missed)', empty, some],
    ['prediction only (false positive)', some, empty],
  ];
  const expected: Record<string, Record<EmptyPolicy, [number, number]>> = {
    // [HD/ASD, surface Dice]
    'both empty': { nan: [NaN, NaN], one: [0, 1], worst: [0, 1] },
    'reference only (missed)': { nan: [NaN, 0], one: [NaN, 0], worst: [diagonal, 0] },
    'prediction only (false positive)': { nan: [NaN, 0], one: [NaN, 0], worst: [diagonal, 0] },
  };
  for (const [name, p, r] of cases) {
    for (const policy of ['nan', 'one', 'worst'] as const) {
      it(`${name}, emptyPolicy '${policy}'`, () => {
        const [dist, nsd] = expected[name]![policy];
        const opts = { emptyPolicy: policy };
        const check = (v: number, want: number) => (Number.isNaN(want) ? expect(v).toBeNaN() : expect(v).toBeCloseTo(want, 12));
        check(hausdorffDistance(p, r, opts).values[0]![0]!, dist);
        check(hausdorffDistance(p, r, { ...opts, percentile: 95 }).values[0]![0]!, dist);
        check(averageSurfaceDistance(p, r, opts).values[0]![0]!, dist);
        check(surfaceDice(p, r, { ...opts, toleranceMm: 1 }).values[0]![0]!, nsd);
        expect(hausdorffDistance(p, r, opts).emptyPolicy).toBe(policy);
      });
    }
  }

  it('uses worstDistance when given and checks it', () => {
    expect(hausdorffDistance(some, empty, { emptyPolicy: 'worst', worstDistance: 373.13 }).values).toEqual([[373.13]]);
    expect(() => hausdorffDistance(some, empty, { worstDistance: -1 })).toThrow('hausdorffDistance: worstDistance must be a finite number > 0; got -1');
  });
});

describe('boundary metrics: bad input', () => {
  it('names the metric, the spacing and the shape', () => {
    const m3 = { data: new Uint8Array(64), shape: [1, 4, 4, 4, 1] };
    expect(() => hausdorffDistance(m3, m3, { spacing: [1, 2] })).toThrow('hausdorffDistance: spacing must be one number or a list of 3 (one per spatial axis of the 3D mask [1,4,4,4,1]); got [1, 2]');
    expect(() => averageSurfaceDistance(m3, m3, { spacing: [1, 0, 1] })).toThrow('averageSurfaceDistance: spacing must be a list of 3 finite numbers > 0; got [1, 0, 1]');
  });
  it('checks percentile, tolerance and unknown options', () => {
    expect(() => hausdorffDistance(P, R, { percentile: 101 })).toThrow('hausdorffDistance: percentile must be a finite number in [0, 100]; got 101');
    expect(() => surfaceDice(P, R, { toleranceMm: [1, 2] })).toThrow('surfaceDice: toleranceMm has 2 entries for 1 scored classes [1]');
    expect(() => surfaceDice(P, R, {} as never)).toThrow('surfaceDice: toleranceMm (mm) is required');
    expect(() => hausdorffDistance(P, R, { percentil: 95 } as never)).toThrow("hausdorffDistance: unknown option 'percentil' (did you mean 'percentile'?); known options: numClasses, includeBackground, binarize, threshold, emptyPolicy, spacing, worstDistance, percentile");
    expect(() => hausdorffDistance(P, R, { emptyPolicy: 'nane' as never })).toThrow("hausdorffDistance: emptyPolicy must be one of 'nan', 'one', 'worst'; got 'nane' (did you mean 'nan'?)");
  });
});
