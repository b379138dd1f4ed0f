import { describe, expect, it } from 'vitest';
import { confusionMetrics, confusionMetricsFromCounts } from '../../src/metrics/index.js';
import type { EmptyPolicy } from '../../src/metrics/index.js';

// Two 2x3 images at spacing [2, 3] mm (6 mm² per pixel).
// image 0: ref [1,1,0,0,0,0], pred [1,0,1,0,0,0] → TP 1, FP 1, FN 1, TN 3
// image 1: ref [1,1,1,1,0,0], pred [1,1,1,1,1,1] → TP 4, FP 2, FN 0, TN 0
const ref = { data: [1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0], shape: [2, 2, 3, 1] };
const pred = { data: [1, 0, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1], shape: [2, 2, 3, 1] };

describe('confusionMetrics: hand-computed', () => {
  const r = confusionMetrics(pred, ref, { spacing: [2, 3], includeBackground: false });
  it('counts', () => {
    expect(r.counts).toEqual([[{ tp: 1, fp: 1, fn: 1, tn: 3 }], [{ tp: 4, fp: 2, fn: 0, tn: 0 }]]);
    expect(r.voxelVolume).toBe(6);
    expect(r.classes).toEqual([1]);
  });
  it('per image', () => {
    expect(r.values.sensitivity).toEqual([[0.5], [1]]);
    expect(r.values.specificity).toEqual([[0.75], [0]]);
    expect(r.values.precision[0]![0]).toBe(0.5);
    expect(r.values.precision[1]![0]).toBeCloseTo(4 / 6, 12);
    expect(r.values.f1).toEqual([[0.5], [0.8]]);
    expect(r.values.absoluteVolumeDifference).toEqual([[0], [12]]);
    expect(r.values.relativeVolumeDifference).toEqual([[0], [0.5]]);
  });
  it('per-image mean and micro (counts first) differ as they should', () => {
    expect(r.mean.sensitivity[0]).toBeCloseTo(0.75, 12);
    expect(r.micro.sensitivity[0]).toBeCloseTo(5 / 6, 12); // TP 5, FN 1
    expect(r.micro.specificity[0]).toBeCloseTo(0.5, 12); // TN 3, FP 3
    expect(r.micro.precision[0]).toBeCloseTo(5 / 8, 12);
    expect(r.micro.f1[0]).toBeCloseTo(10 / 14, 12);
    expect(r.micro.absoluteVolumeDifference[0]).toBe(12);
    expect(r.mean.absoluteVolumeDifference[0]).toBe(6);
    expect(r.micro.relativeVolumeDifference[0]).toBeCloseTo(1 / 3, 12);
  });
  it('scores the background too by default', () => {
    const all = confusionMetrics(pred, ref);
    expect(all.classes).toEqual([0, 1]);
    // image 0 class 0: ref background {2..5}, pred background {1,3,4,5}: TP 3, FP 1, FN 1, TN 1.
    expect(all.counts[0]![0]).toEqual({ tp: 3, fp: 1, fn: 1, tn: 1 });
  });
});

describe('confusionMetrics: every empty combination under every policy', () => {
  const nan = NaN;
  const k = (tp: number, fp: number, fn: number, tn: number) => ({ tp, fp, fn, tn });
  // [sensitivity, specificity, precision, f1, avd, rvd]
  const table: [string, ReturnType<typeof k>, Record<EmptyPolicy, number[]>][] = [
    ['both empty', k(0, 0, 0, 4), { nan: [nan, 1, nan, nan, 0, nan], one: [1, 1, 1, 1, 0, 0], worst: [1, 1, 1, 1, 0, 0] }],
    ['prediction only', k(0, 2, 0, 2), { nan: [nan, 0.5, 0, 0, 2, nan], one: [nan, 0.5, 0, 0, 2, nan], worst: [0, 0.5, 0, 0, 2, Infinity] }],
    ['reference only', k(0, 0, 2, 2), { nan: [0, 1, nan, 0, 2, -1], one: [0, 1, nan, 0, 2, -1], worst: [0, 1, 0, 0, 2, -1] }],
    ['reference fills the image, prediction too', k(4, 0, 0, 0), { nan: [1, nan, 1, 1, 0, 0], one: [1, 1, 1, 1, 0, 0], worst: [1, 1, 1, 1, 0, 0] }],
    ['reference fills the image, prediction not', k(2, 0, 2, 0), { nan: [0.5, nan, 1, 2 / 3, 2, -0.5], one: [0.5, nan, 1, 2 / 3, 2, -0.5], worst: [0.5, 0, 1, 2 / 3, 2, -0.5] }],
  ];
  for (const [name, counts, want] of table) {
    for (const policy of ['nan', 'one', 'worst'] as const) {
      it(`${name}, '${policy}'`, () => {
        const v = confusionMetricsFromCounts(counts, 1, policy);
        const got = [v.sensitivity, v.specificity, v.precision, v.f1, v.absoluteVolumeDifference, v.relativeVolumeDifference];
        got.forEach((g, i) => {
          const w = want[policy][i]!;
          if (Number.isNaN(w)) expect(g, `entry ${i}`).toBeNaN();
          else expect(g, `entry ${i}`).toBeCloseTo(w, 12);
        });
      });
    }
  }

  it('agrees with the table through the full function on masks', () => {
    const z = { data: [0, 0, 0, 0], shape: [1, 2, 2, 1] };
    const r = confusionMetrics(z, z, { includeBackground: false, emptyPolicy: 'one' });
    expect(r.values.f1).toEqual([[1]]);
    expect(r.micro.sensitivity).toEqual([1]);
    expect(confusionMetrics(z, z, { includeBackground: false }).mean.f1[0]).toBeNaN();
  });

  it('rejects a spacing of the wrong length', () => {
    expect(() => confusionMetrics(pred, ref, { spacing: [1, 1, 1] })).toThrow('confusionMetrics: spacing must be one number or a list of 2 (one per spatial axis of the 2D mask [2,2,3,1]); got [1, 1, 1]');
  });
});
