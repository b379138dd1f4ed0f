import { probabilitiesToLabels } from '../inference/slidingWindow.js';
import { dice } from '../metrics/dice.js';

/**
 * The Dice of a training batch that `log.jsonl` records, from the network's logits (channels last,
 * `K` channels per voxel) and the reference labels of the loss's region, pooled over the batch:
 * - `hard`: metrics' `dice` of the argmax (K > 1) or 0.5-threshold (K = 1) segmentation, averaged over
 *   the foreground classes present in the prediction or the reference (a class predicted but absent
 *   from the reference counts 0; a class in neither is skipped); NaN when no class is present.
 * - `soft`: `2 Σ p·r / (Σ p + Σ r)` of the probabilities, averaged over the foreground classes with a
 *   reference voxel or some probability mass.
 *
 * Probabilities are `softmax` (K > 1) or `sigmoid` (K = 1) of each voxel's logits evaluated in float64
 * and stored as float32, the values the log has always recorded (TF.js's float32 softmax rounds
 * differently in the last bits, and a tie in float32 would change an argmax).
 */
export function batchDice(logits: Float32Array, labels: ArrayLike<number>, classes: number): { hard: number; soft: number } {
  const n = labels.length;
  const K = logits.length / n;
  if (!Number.isInteger(K) || K < 1) throw new Error(`batchDice: ${logits.length} logits do not divide into ${n} voxels`);
  const probabilities = voxelProbabilities(logits, K);
  const predicted = probabilitiesToLabels(probabilities, K);
  const numClasses = Math.max(classes, 2);
  const foreground = Array.from({ length: numClasses - 1 }, (_, k) => k + 1);
  // Classes in the prediction or the reference: the ones the hard Dice averages over.
  const present = new Uint8Array(numClasses);
  for (let v = 0; v < n; v++) {
    present[predicted[v]!] = 1;
    present[labels[v]!] = 1;
  }
  const shape = [1, 1, n, 1];
  const overlap = dice({ data: predicted, shape }, { data: Int32Array.from(labels), shape }, { numClasses, includeBackground: false, emptyPolicy: 'worst' });
  const hard = foreground.filter((c) => present[c] === 1).map((c) => overlap.values[0]![c - 1]!);
  const soft: number[] = [];
  for (const c of foreground) {
    let intersection = 0;
    let mass = 0;
    let reference = 0;
    for (let v = 0; v < n; v++) {
      const isReference = labels[v] === c ? 1 : 0;
      const p = K === 1 ? probabilities[v]! : probabilities[v * K + c]!;
      intersection += p * isReference;
      mass += p;
      reference += isReference;
    }
    if (reference > 0 || mass > 0) soft.push((2 * intersection) / (mass + reference));
  }
  return { hard: mean(hard), soft: mean(soft) };
}

function mean(values: readonly number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : Number.NaN;
}

/** Per-voxel sigmoid (K = 1) or softmax over the K logits of each voxel, in float64, stored as float32. */
function voxelProbabilities(logits: Float32Array, K: number): Float32Array {
  const probabilities = new Float32Array(logits.length);
  if (K === 1) {
    for (let v = 0; v < logits.length; v++) probabilities[v] = 1 / (1 + Math.exp(-logits[v]!));
    return probabilities;
  }
  for (let o = 0; o < logits.length; o += K) {
    let m = -Infinity;
    for (let c = 0; c < K; c++) m = Math.max(m, logits[o + c]!);
    let z = 0;
    for (let c = 0; c < K; c++) z += Math.exp(logits[o + c]! - m);
    for (let c = 0; c < K; c++) probabilities[o + c] = Math.exp(logits[o + c]! - m) / z;
  }
  return probabilities;
}
