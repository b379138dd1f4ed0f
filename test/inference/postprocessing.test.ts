import { describe, expect, it } from 'vitest';
import { applyPostprocessing, combinePostprocessing, decidePostprocessing, parsePostprocessing, postprocessingJson, type PostprocessingPlan } from '../../src/inference/index.js';

/** A 2D label map from rows of digits ('.' = background), row = first axis. */
function labels(rows: string[]): { data: Int32Array; shape: number[] } {
  return { data: Int32Array.from(rows.join('').split(''), (ch) => (ch === '.' ? 0 : Number(ch))), shape: [rows.length, rows[0]!.length] };
}

// Structure 1: the prediction adds a stray voxel (largest component helps: 8/9 → 1).
// Structure 2: the reference has two blobs, both predicted (largest component hurts: 1 → 2/3).
// Structure 3: in neither map (no evidence: off).
const reference = labels(['11....', '11....', '......', '22..22', '22..22', '......']);
const predicted = labels(['11...1', '11....', '......', '22..22', '22..22', '......']);

describe('the post-processing rule (nnU-Net: keep the largest component where the mean validation Dice does not decrease)', () => {
  const plan = decidePostprocessing([{ predicted: predicted.data, reference: reference.data, shape: predicted.shape }], 4);

  it('switches a structure on where it helps, off where it hurts or nothing is known (hand-computed Dice)', () => {
    expect(plan.cases).toBe(1);
    expect(plan.connectivity).toBe('face');
    const [one, two, three] = plan.structures;
    expect(one).toMatchObject({ label: 1, largestComponent: true });
    expect(one!.diceBefore).toBeCloseTo(8 / 9, 12);
    expect(one!.diceAfter).toBeCloseTo(1, 12);
    expect(two).toMatchObject({ label: 2, diceBefore: 1, largestComponent: false });
    expect(two!.diceAfter).toBeCloseTo(2 / 3, 12);
    expect(three!.largestComponent).toBe(false);
    expect(three!.diceBefore).toBeNaN();
  });

  it('averages over the cases: on when the mean does not decrease', () => {
    // A second case where structure 1's largest component is the wrong one: the mean decreases (off).
    const wrongRef = labels(['.....1', '......', '......', '......', '......', '......']);
    const wrongPred = labels(['11...1', '11....', '......', '......', '......', '......']);
    const two = decidePostprocessing(
      [
        { predicted: predicted.data, reference: reference.data, shape: predicted.shape },
        { predicted: wrongPred.data, reference: wrongRef.data, shape: wrongPred.shape },
      ],
      3,
    );
    // Case 2 before: 2·1/(5+1) = 1/3, after: 0. Mean before (8/9 + 1/3)/2, after (1 + 0)/2.
    expect(two.structures[0]!.diceBefore).toBeCloseTo((8 / 9 + 1 / 3) / 2, 12);
    expect(two.structures[0]!.diceAfter).toBeCloseTo(0.5, 12);
    expect(two.structures[0]!.largestComponent).toBe(false);
    // Unchanged predictions (one component each) count as not decreasing: on.
    const blob = labels(['11..', '11..']);
    const same = decidePostprocessing([{ predicted: blob.data, reference: blob.data, shape: blob.shape }], 2);
    expect(same.structures[0]).toMatchObject({ diceBefore: 1, diceAfter: 1, largestComponent: true });
  });

  it('applies a plan to the structures it switches on only', () => {
    expect(Array.from(applyPostprocessing(predicted.data, predicted.shape, plan))).toEqual(Array.from(labels(['11....', '11....', '......', '22..22', '22..22', '......']).data));
    const off: PostprocessingPlan = { ...plan, structures: plan.structures.map((s) => ({ ...s, largestComponent: false })) };
    expect(Array.from(applyPostprocessing(predicted.data, predicted.shape, off))).toEqual(Array.from(predicted.data));
  });

  it('round-trips through postprocessing.json and names a bad field', () => {
    const back = parsePostprocessing(JSON.parse(postprocessingJson(plan)), 'm/postprocessing.json');
    expect(back.structures.map((s) => s.largestComponent)).toEqual([true, false, false]);
    expect(back.structures[2]!.diceBefore).toBeNaN();
    expect(() => parsePostprocessing({ ...plan, connectivity: 'corner' }, 'm/postprocessing.json')).toThrow(
      "parsePostprocessing: m/postprocessing.json: connectivity must be one of 'face', 'full'; got 'corner'",
    );
    expect(() => parsePostprocessing({ ...plan, structures: [{ label: 0, largestComponent: true }] }, 'p.json')).toThrow('structures[0].label must be an integer ≥ 1; got 0');
  });

  it('an ensemble keeps the largest component of a structure only where every model says so', () => {
    const other: PostprocessingPlan = { ...plan, structures: plan.structures.map((s) => ({ ...s, largestComponent: s.label !== 1 })) };
    expect(combinePostprocessing([plan, plan])!.structures.map((s) => s.largestComponent)).toEqual([true, false, false]);
    expect(combinePostprocessing([plan, other])!.structures.map((s) => s.largestComponent)).toEqual([false, false, false]);
    expect(combinePostprocessing([plan, undefined])).toBeUndefined();
  });
});
