import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { Random } from '../../src/common/index.js';
import { confusionMetrics, dice, generalizedDiceScore, jaccard } from '../../src/metrics/index.js';
import type { EmptyPolicy } from '../../src/metrics/index.js';

const labels2d = (values: number[], h: number, w: number, b = 1) => ({ data: values, shape: [b, h, w, 1] });
const oneHot = (values: number[], c: number, h: number, w: number) => ({ data: values.flatMap((v) => Array.from({ length: c }, (_, k) => (k === v ? 1 : 0))), shape: [1, h, w, c] });

describe('dice and jaccard: hand-computed', () => {
  // reference [0,0,0,1,1,2], prediction [0,0,1,1,2,2] on a 2x3 image.
  const ref = labels2d([0, 0, 0, 1, 1, 2], 2, 3);
  const pred = labels2d([0, 0, 1, 1, 2, 2], 2, 3);
  it('per class, background included by default', () => {
    const d = dice(pred, ref);
    expect(d.classes).toEqual([0, 1, 2]);
    // class 0: TP 2, |P| 2, |R| 3 → 4/5; class 1: TP 1, |P| 2, |R| 2 → 1/2; class 2: TP 1, |P| 2, |R| 1 → 2/3.
    expect(d.values[0]![0]).toBeCloseTo(0.8, 12);
    expect(d.values[0]![1]).toBeCloseTo(0.5, 12);
    expect(d.values[0]![2]).toBeCloseTo(2 / 3, 12);
    const j = jaccard(pred, ref, { includeBackground: false });
    expect(j.classes).toEqual([1, 2]);
    expect(j.values[0]![0]).toBeCloseTo(1 / 3, 12);
    expect(j.values[0]![1]).toBeCloseTo(1 / 2, 12);
    expect(d.binarization).toBe('none');
  });

  it('gives the same numbers for one-hot inputs, mixed encodings, tensors and argmax of probabilities', () => {
    const want = dice(pred, ref).values;
    expect(dice(oneHot(pred.data, 3, 2, 3), oneHot(ref.data, 3, 2, 3)).values).toEqual(want);
    expect(dice(oneHot(pred.data, 3, 2, 3), ref).values).toEqual(want);
    const probs = tf.tensor4d(pred.data.flatMap((v) => [0, 1, 2].map((k) => (k === v ? 0.7 : 0.15))), [1, 2, 3, 3]);
    const r = dice(probs, tf.tensor4d(ref.data, [1, 2, 3, 1], 'int32'));
    expect(r.values).toEqual(want);
    expect(r.binarization).toBe('argmax');
    probs.dispose();
  });

  it('thresholds a single-channel probability map at 0.5 by default, or at the given threshold', () => {
    const p = labels2d([0.2, 0.6, 0.9, 0.4], 2, 2);
    const r = labels2d([0, 1, 1, 1], 2, 2);
    const half = dice(p, r, { includeBackground: false });
    expect(half.values[0]![0]).toBeCloseTo(0.8, 12); // TP 2, |P| 2, |R| 3
    expect(half).toMatchObject({ binarization: 'threshold', threshold: 0.5 });
    expect(dice(p, r, { includeBackground: false, threshold: 0.3 }).values[0]![0]).toBeCloseTo(1, 12);
  });

  it('computes each image of a batch separately', () => {
    const p = labels2d([1, 1, 0, 0, 1, 0, 0, 0], 2, 2, 2);
    const r = labels2d([1, 0, 0, 0, 1, 1, 1, 1], 2, 2, 2);
    const d = dice(p, r, { includeBackground: false });
    expect(d.values.map((row) => row[0])).toEqual([2 / 3, 2 / 5]);
  });

  it('gives identical counts for byte label maps (joint-histogram path) and plain arrays', () => {
    const rng = new Random(11);
    const n = 2 * 9 * 7 * 5;
    const p = Uint8Array.from({ length: n }, () => rng.int(0, 3));
    const r = Uint8Array.from({ length: n }, () => rng.int(0, 3));
    const shape = [2, 9, 7, 5, 1];
    const bytes = confusionMetrics({ data: p, shape }, { data: r, shape });
    const plain = confusionMetrics({ data: Array.from(p), shape }, { data: Array.from(r), shape });
    expect(bytes.counts).toEqual(plain.counts);
    expect(bytes.classes).toEqual([0, 1, 2, 3]);
    expect(dice({ data: p, shape }, { data: r, shape }).values).toEqual(dice({ data: Int32Array.from(p), shape }, { data: Float32Array.from(r), shape }).values);
    expect(() => dice({ data: p, shape }, { data: r, shape }, { numClasses: 3 })).toThrow('dice: reference holds the label 3, beyond numClasses 3 (labels 0..2)');
  });

  it('scores one voxel of foreground in a 64³ volume', () => {
    const n = 64 ** 3;
    const r = new Uint8Array(n);
    const p = new Uint8Array(n);
    r[12345] = 1;
    p[12345] = 1;
    p[12346] = 1;
    const d = dice({ data: p, shape: [1, 64, 64, 64, 1] }, { data: r, shape: [1, 64, 64, 64, 1] }, { includeBackground: false });
    expect(d.values[0]![0]).toBeCloseTo(2 / 3, 12);
  });
});

describe('dice and jaccard: every empty combination under every policy', () => {
  const z = [0, 0, 0, 0];
  const s = [0, 1, 1, 0];
  const table: [string, number[], number[], Record<EmptyPolicy, number>][] = [
    // [case, prediction, reference, expected Dice (= Jaccard here)]
    ['both empty', z, z, { nan: NaN, one: 1, worst: 1 }],
    ['prediction only', s, z, { nan: NaN, one: 0, worst: 0 }],
    ['reference only', z, s, { nan: 0, one: 0, worst: 0 }],
  ];
  for (const [name, p, r, want] of table) {
    for (const policy of ['nan', 'one', 'worst'] as const) {
      it(`${name}, '${policy}' → ${want[policy]}`, () => {
        const opts = { emptyPolicy: policy, includeBackground: false };
        const d = dice(labels2d(p, 2, 2), labels2d(r, 2, 2), opts).values[0]![0]!;
        const j = jaccard(labels2d(p, 2, 2), labels2d(r, 2, 2), opts).values[0]![0]!;
        for (const v of [d, j]) {
          if (Number.isNaN(want[policy])) expect(v).toBeNaN();
          else expect(v).toBe(want[policy]);
        }
      });
    }
  }
});

describe('generalizedDiceScore', () => {
  const ref = labels2d([0, 0, 0, 1], 2, 2);
  const pred = labels2d([0, 0, 1, 1], 2, 2);
  // class 0: |R| 3, |P| 2, TP 2; class 1: |R| 1, |P| 2, TP 1.
  it.each([
    ['square', 22 / 32],
    ['simple', 10 / 14],
    ['uniform', 6 / 8],
  ] as const)("weightType '%s' → %f", (weightType, want) => {
    const r = generalizedDiceScore(pred, ref, { weightType });
    expect(r.values[0]![0]).toBeCloseTo(want, 12);
    expect(r.classes).toEqual([-1]);
    expect(r.pooledClasses).toEqual([0, 1]);
  });

  it('defaults to square weights', () => {
    expect(generalizedDiceScore(pred, ref).values[0]![0]).toBeCloseTo(22 / 32, 12);
  });

  it('gives a class absent from the reference the largest finite weight of the image', () => {
    // class 2 is predicted once but absent: weight max(1/9, 1) = 1. num 2(2/9 + 1), den 5/9 + 2 + 1.
    const r = generalizedDiceScore(labels2d([0, 0, 2, 1], 2, 2), ref, { numClasses: 3 });
    expect(r.values[0]![0]).toBeCloseTo((2 * (2 / 9 + 1)) / (5 / 9 + 3), 12);
  });

  it('equals Dice for a single scored class', () => {
    const d = dice(pred, ref, { includeBackground: false }).values[0]![0]!;
    expect(generalizedDiceScore(pred, ref, { includeBackground: false }).values[0]![0]).toBeCloseTo(d, 12);
  });

  it.each(['nan', 'one', 'worst'] as const)("zero denominator under '%s': 1 if the prediction is empty too, else 0", (emptyPolicy) => {
    const z = labels2d([0, 0, 0, 0], 2, 2);
    const s = labels2d([0, 1, 0, 0], 2, 2);
    const opts = { includeBackground: false, emptyPolicy };
    expect(generalizedDiceScore(z, z, opts).values).toEqual([[1]]);
    expect(generalizedDiceScore(s, z, opts).values).toEqual([[0]]);
    expect(generalizedDiceScore(z, s, opts).values).toEqual([[0]]);
    expect(generalizedDiceScore(s, z, { ...opts, weightType: 'uniform' }).values).toEqual([[0]]);
  });

  it('rejects an unknown weight type with a suggestion', () => {
    expect(() => generalizedDiceScore(pred, ref, { weightType: 'squared' as never })).toThrow("generalizedDiceScore: weightType must be one of 'square', 'simple', 'uniform'; got 'squared' (did you mean 'square'?)");
  });
});

describe('input validation names the metric and the values', () => {
  const ok = labels2d([0, 1, 1, 0], 2, 2);
  it.each([
    ['shape mismatch', () => dice(ok, labels2d([0, 1, 1, 0, 0, 0], 2, 3)), 'dice: prediction [1,2,2,1] and reference [1,2,3,1] differ in batch or spatial shape'],
    ['non-integer reference label', () => dice(ok, labels2d([0, 0.5, 1, 0], 2, 2)), 'dice: reference holds the non-integer label 0.5 at index 1'],
    ['negative label', () => jaccard(ok, labels2d([0, -1, 1, 0], 2, 2)), 'jaccard: reference holds the label -1 at index 1'],
    ['NaN label', () => dice(ok, labels2d([0, NaN, 1, 0], 2, 2)), 'dice: reference holds the label NaN at index 1'],
    ['label beyond numClasses', () => dice(ok, labels2d([0, 7, 1, 0], 2, 2), { numClasses: 3 }), 'dice: reference holds the label 7, beyond numClasses 3 (labels 0..2)'],
    ['prediction label beyond numClasses', () => dice(labels2d([0, 3, 1, 0], 2, 2), ok, { numClasses: 2 }), 'dice: prediction holds the label 3, beyond numClasses 2'],
    ['rank', () => dice({ data: [0, 1], shape: [2] }, ok), 'dice: prediction must be [B,H,W,C] (2D) or [B,D,H,W,C] (3D), got shape [2]'],
    ['length', () => dice({ data: [0, 1, 1], shape: [1, 2, 2, 1] }, ok), 'dice: prediction has 3 values but shape [1,2,2,1] needs 4'],
    ['soft one-hot reference', () => dice(oneHot([0, 1, 1, 0], 2, 2, 2), { data: [0.5, 0.5, 0, 1, 0, 1, 1, 0], shape: [1, 2, 2, 2] }), 'dice: reference holds 0.5 at index 0; a 2-channel reference must be one-hot 0/1'],
    ['channels disagree', () => dice(oneHot([0, 1, 1, 0], 2, 2, 2), oneHot([0, 1, 2, 0], 3, 2, 2)), 'dice: prediction has 2 channels and reference 3'],
    ['numClasses vs channels', () => dice(oneHot([0, 1, 1, 0], 2, 2, 2), ok, { numClasses: 3 }), 'dice: numClasses is 3 but the one-hot input has 2 channels'],
    ['a label map holding 1.5', () => dice({ data: [0, 1, 1.5, 2], shape: [1, 2, 2, 1] }, ok), "dice: prediction holds 1.5 at index 2; a single-channel prediction is a label map (integers >= 0) or probabilities in [0, 1] (set binarize 'threshold' to threshold it anyway)"],
    ['a fraction beside a label above 1', () => jaccard({ data: [0.25, 0, 2, 0], shape: [1, 2, 2, 1] }, ok), 'jaccard: prediction holds 0.25 at index 0 and 2 at index 2;'],
    ['NaN probability', () => dice({ data: [0.1, NaN, 0.2, 0.3], shape: [1, 2, 2, 1] }, ok), 'dice: prediction holds NaN at index 1'],
    ['binarize typo', () => dice(ok, ok, { binarize: 'argmx' as never }), "dice: binarize must be one of 'auto', 'argmax', 'threshold', 'none'; got 'argmx' (did you mean 'argmax'?)"],
    ['unknown option', () => dice(ok, ok, { spacing: [1, 1] } as never), "dice: unknown option 'spacing'"],
    ['non-integer prediction labels with binarize none', () => dice(labels2d([0, 1.5, 1, 0], 2, 2), ok, { binarize: 'none' }), 'dice: prediction holds the non-integer label 1.5 at index 1'],
    ['threshold with more than two classes', () => dice(labels2d([0.1, 0.9, 0.2, 0.3], 2, 2), ok, { numClasses: 3 }), 'dice: a thresholded single-channel prediction has 2 classes, but numClasses is 3'],
    ['argmax of one channel', () => dice(ok, ok, { binarize: 'argmax' }), "dice: binarize 'argmax' needs C > 1 channels, got prediction [1,2,2,1]"],
    ['bad numClasses', () => dice(ok, ok, { numClasses: 1.5 }), 'dice: numClasses must be an integer >= 1; got 1.5'],
  ])('%s', (_name, fn, message) => {
    expect(fn).toThrow(message);
  });
});

describe('tensor inputs', () => {
  it('reads tensors once without leaking any', () => {
    const p = tf.tensor4d([0, 1, 1, 0], [1, 2, 2, 1], 'int32');
    const r = tf.tensor4d([0, 1, 0, 0], [1, 2, 2, 1], 'int32');
    dice(p, r);
    const before = tf.memory().numTensors;
    expect(dice(p, r, { includeBackground: false }).values).toEqual([[2 / 3]]);
    expect(generalizedDiceScore(p, r).values[0]![0]).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(before);
    p.dispose();
    r.dispose();
  });
});
