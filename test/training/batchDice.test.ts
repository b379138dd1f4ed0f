import { describe, expect, it } from 'vitest';
import { Random } from '../../src/common/index.js';
import { batchDice } from '../../src/training/batchDice.js';

/**
 * The trainer's batch Dice as it was written before it moved to its own file (softmax per voxel in
 * float64 stored as float32, argmax, pooled counts): the logged values must stay exactly these.
 */
function formerBatchDice(output: Float32Array, labels: Int32Array, classes: number): { hard: number; soft: number } {
  const n = labels.length;
  const K = output.length / n;
  const probs = new Float32Array(output.length);
  for (let v = 0; v < n; v++) {
    if (K === 1) {
      probs[v] = 1 / (1 + Math.exp(-output[v]!));
      continue;
    }
    let m = -Infinity;
    for (let c = 0; c < K; c++) m = Math.max(m, output[v * K + c]!);
    let z = 0;
    for (let c = 0; c < K; c++) z += Math.exp(output[v * K + c]! - m);
    for (let c = 0; c < K; c++) probs[v * K + c] = Math.exp(output[v * K + c]! - m) / z;
  }
  const predicted = new Int32Array(n);
  for (let v = 0; v < n; v++) {
    if (K === 1) predicted[v] = probs[v]! >= 0.5 ? 1 : 0;
    else for (let c = 1; c < K; c++) if (probs[v * K + c]! > probs[v * K + predicted[v]!]!) predicted[v] = c;
  }
  const hard: number[] = [];
  const soft: number[] = [];
  for (let c = 1; c < Math.max(classes, 2); c++) {
    let inter = 0, p = 0, r = 0, sInter = 0, sP = 0;
    for (let v = 0; v < n; v++) {
      const isRef = labels[v] === c ? 1 : 0;
      const isPred = predicted[v] === c ? 1 : 0;
      const prob = K === 1 ? probs[v]! : probs[v * K + c]!;
      inter += isRef * isPred;
      p += isPred;
      r += isRef;
      sInter += prob * isRef;
      sP += prob;
    }
    if (p + r > 0) hard.push((2 * inter) / (p + r));
    if (r > 0 || sP > 0) soft.push((2 * sInter) / (sP + r));
  }
  const mean = (a: number[]): number => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : Number.NaN);
  return { hard: mean(hard), soft: mean(soft) };
}

describe('batchDice', () => {
  it('gives hand-checked values: 3 voxels, 2 classes', () => {
    // Logits favour class 1 at voxels 0 and 1; the reference has class 1 at voxels 1 and 2.
    const logits = Float32Array.from([0, 2, 0, 2, 2, 0]);
    const r = batchDice(logits, Int32Array.from([0, 1, 1]), 2);
    expect(r.hard).toBe(0.5); // 2·1 / (2 + 2)
    const p1 = Math.fround(1 / (1 + Math.exp(-2)));
    const p2 = Math.fround(1 - 1 / (1 + Math.exp(-2)));
    expect(r.soft).toBeCloseTo((2 * (p1 + p2)) / (2 * p1 + p2 + 2), 6);
  });

  it('counts a class predicted but absent from the reference as 0, skips a class in neither; NaN when none', () => {
    // Three classes; class 2 is predicted at voxel 0 only, class 1 is nowhere.
    expect(batchDice(Float32Array.from([0, 0, 5, 5, 0, 0]), Int32Array.from([0, 0]), 3).hard).toBe(0);
    expect(batchDice(Float32Array.from([5, 0, 0, 5, 0, 0]), Int32Array.from([0, 0]), 3).hard).toBeNaN();
  });

  it.each([
    [2, 2],
    [3, 3],
    [2, 1],
  ])('keeps the logged values of the former trainer code exactly (%i classes, %i channels)', (classes, K) => {
    const r = new Random(classes * 10 + K);
    for (let trial = 0; trial < 20; trial++) {
      const n = 64;
      const logits = Float32Array.from({ length: n * K }, () => r.normal() * 3);
      const labels = Int32Array.from({ length: n }, () => (r.next() < 0.3 ? r.int(1, Math.max(classes, 2) - 1) : 0));
      expect(batchDice(logits, labels, classes)).toEqual(formerBatchDice(logits, labels, classes));
    }
  });

  it('refuses logits that do not divide into the voxels', () => {
    expect(() => batchDice(new Float32Array(5), new Int32Array(2), 2)).toThrow(/^batchDice: 5 logits do not divide into 2 voxels/);
  });
});
