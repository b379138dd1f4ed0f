import { describe, expect, it } from 'vitest';
import { Random } from '../../src/common/index.js';
import { aggregate, confusionMetrics, CountAccumulator, dice, generalizedDiceScore, hausdorffDistance, jaccard, MetricAccumulator, summarize } from '../../src/metrics/index.js';

function randomLabels(rng: Random, n: number, classes: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const u = rng.next();
    out[i] = u < 0.85 ? 0 : Math.min(classes - 1, 1 + Math.floor(((u - 0.85) / 0.15) * (classes - 1)));
  }
  return out;
}

describe('CountAccumulator: streaming equals one-shot', () => {
  const rng = new Random(2024);
  const B = 3;
  const [D, H, W] = [8, 10, 12];
  const N = D * H * W;
  const pred = randomLabels(rng, B * N, 4);
  const ref = randomLabels(rng, B * N, 4);
  const whole = { pred: { data: pred, shape: [B, D, H, W, 1] }, ref: { data: ref, shape: [B, D, H, W, 1] } };

  it('over patches (slabs along D) of every image, in shuffled order', () => {
    const acc = new CountAccumulator({ numClasses: 4, spacing: [2, 1, 1] });
    const patches: [number, number][] = [];
    for (let b = 0; b < B; b++) for (let z0 = 0; z0 < D; z0 += 3) patches.push([b, z0]);
    rng.shuffle(patches);
    for (const [b, z0] of patches) {
      const depth = Math.min(3, D - z0);
      const start = b * N + z0 * H * W;
      const slab = (a: Uint8Array) => ({ data: a.subarray(start, start + depth * H * W), shape: [1, depth, H, W, 1] });
      acc.update(slab(pred), slab(ref), { imageIds: [`img${b}`] });
    }
    expect(acc.count).toBe(B);
    const r = acc.result();
    const order = r.imageIds.map((id) => Number(id.slice(3)));
    const reorder = <T>(rows: T[]) => order.map((b) => rows[b]!);
    expect(r.dice).toEqual(reorder(dice(whole.pred, whole.ref).values));
    expect(r.jaccard).toEqual(reorder(jaccard(whole.pred, whole.ref).values));
    expect(r.generalizedDiceScore).toEqual(reorder(generalizedDiceScore(whole.pred, whole.ref).values));
    const cm = confusionMetrics(whole.pred, whole.ref, { spacing: [2, 1, 1] });
    expect(r.confusion.sensitivity).toEqual(reorder(cm.values.sensitivity));
    expect(r.confusion.absoluteVolumeDifference).toEqual(reorder(cm.values.absoluteVolumeDifference));
    expect(r.micro.precision).toEqual(cm.micro.precision);
    expect(r.counts).toEqual(reorder(cm.counts));
    expect(r.aggregates.dice.overall.mean).toBeCloseTo(aggregate(dice(whole.pred, whole.ref)).overall.mean, 12);
  });

  it('over batches of whole images without ids', () => {
    const acc = new CountAccumulator({ includeBackground: false, emptyPolicy: 'one' });
    for (let b = 0; b < B; b++) {
      const one = (a: Uint8Array) => ({ data: a.subarray(b * N, (b + 1) * N), shape: [1, D, H, W, 1] });
      acc.update(one(pred), one(ref));
    }
    const r = acc.result();
    expect(r.imageIds).toEqual(['image-0', 'image-1', 'image-2']);
    expect(r.dice).toEqual(dice(whole.pred, whole.ref, { includeBackground: false, emptyPolicy: 'one' }).values);
    expect(r.binarizations).toEqual(['none']);
  });

  it('grows the class list when a later patch holds a higher label, and rejects bad ids', () => {
    const acc = new CountAccumulator();
    acc.update({ data: [0, 1], shape: [1, 1, 2, 1] }, { data: [0, 1], shape: [1, 1, 2, 1] }, { imageIds: ['a'] });
    acc.update({ data: [2, 0], shape: [1, 1, 2, 1] }, { data: [2, 2], shape: [1, 1, 2, 1] }, { imageIds: ['a'] });
    const r = acc.result();
    expect(r.classes).toEqual([0, 1, 2]);
    expect(r.counts[0]).toEqual([
      { tp: 1, fp: 1, fn: 0, tn: 2 },
      { tp: 1, fp: 0, fn: 0, tn: 3 },
      { tp: 1, fp: 0, fn: 1, tn: 2 },
    ]);
    expect(() => acc.update({ data: [0, 1], shape: [1, 1, 2, 1] }, { data: [0, 1], shape: [1, 1, 2, 1] }, { imageIds: ['a', 'b'] })).toThrow('CountAccumulator: 2 image ids for a batch of 1');
  });
});

describe('MetricAccumulator', () => {
  it('streams HD95 over batches and aggregates like the one-shot result', () => {
    const rng = new Random(5);
    const B = 4;
    const N = 16 * 16;
    const p = new Uint8Array(B * N);
    const r = new Uint8Array(B * N);
    for (let i = 0; i < B * N; i++) {
      p[i] = rng.next() < 0.3 ? 1 : 0;
      r[i] = rng.next() < 0.3 ? 1 : 0;
    }
    p.fill(0, 3 * N); // the last image has an empty prediction: NaN under 'nan'
    const opts = { percentile: 95, spacing: [1.2, 0.8] };
    const acc = new MetricAccumulator(hausdorffDistance, opts);
    for (const [lo, hi] of [[0, 1], [1, 3], [3, 4]] as const) {
      acc.update({ data: p.subarray(lo * N, hi * N), shape: [hi - lo, 16, 16, 1] }, { data: r.subarray(lo * N, hi * N), shape: [hi - lo, 16, 16, 1] });
    }
    const oneShot = hausdorffDistance({ data: p, shape: [B, 16, 16, 1] }, { data: r, shape: [B, 16, 16, 1] }, opts);
    expect(acc.values()).toEqual(oneShot.values);
    expect(acc.aggregate()).toEqual(aggregate(oneShot));
    expect(acc.aggregate().overall.count).toBe(3);
    expect(acc.aggregate().overall.total).toBe(4);
  });
});

describe('aggregate / summarize: NaN is skipped and counted', () => {
  it('computes mean, median, std, min, max with counts', () => {
    expect(summarize([1, NaN, 3, 2, NaN])).toEqual({ mean: 2, median: 2, std: Math.sqrt(2 / 3), min: 1, max: 3, count: 3, total: 5 });
    expect(summarize([4, 1])).toMatchObject({ median: 2.5, count: 2 });
    const none = summarize([NaN]);
    expect(none.mean).toBeNaN();
    expect(none.count).toBe(0);
    expect(summarize([1, Infinity]).mean).toBe(Infinity);
    expect(summarize([1, Infinity, 2]).median).toBe(2);
  });

  it('reduces per class over images and per image over classes', () => {
    const a = aggregate([
      [1, NaN],
      [0.5, 0.25],
      [0, 0.75],
    ], [1, 2]);
    expect(a.perClass.map((s) => [s.mean, s.count])).toEqual([[0.5, 3], [0.5, 2]]);
    expect(a.perImage.map((s) => s.mean)).toEqual([1, 0.375, 0.375]);
    expect(a.overall).toMatchObject({ mean: 0.5, count: 5, total: 6 });
    expect(() => aggregate([[1, 2]], [1])).toThrow('aggregate: row 0 has 2 values but there are 1 classes [1]');
  });
});
