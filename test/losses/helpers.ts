import * as tf from '@tensorflow/tfjs';
import { Random } from '../../src/common/random.js';
import type { RefInput } from './reference.js';

/** A channels-first nested array (MONAI's layout, [B, C, ...spatial]) as a channels-last tensor. */
export function channelsLast(nested: unknown): tf.Tensor {
  const t = tf.tensor(nested as number[]);
  const perm = [0, ...Array.from({ length: t.rank - 2 }, (_, i) => i + 2), 1];
  const out = tf.transpose(t, perm);
  t.dispose();
  return out;
}

/** Random logits `[B, ...spatial, C]` and a random target (label map or one-hot), plus the flat reference input. */
export function randomCase(
  seed: number,
  shape: number[],
  opts: { soft?: boolean; labelMap?: boolean; absentClassInImage?: number | undefined; scale?: number } = {},
): { yPred: tf.Tensor; yTrue: tf.Tensor; ref: RefInput } {
  const rng = new Random(seed);
  const B = shape[0]!;
  const C = shape[shape.length - 1]!;
  const S = shape.slice(1, -1).reduce((a, v) => a * v, 1);
  const logits = new Float64Array(B * S * C).map(() => rng.normal() * (opts.scale ?? 2));
  const target = new Float64Array(B * S * C);
  const labels = new Int32Array(B * S);
  for (let b = 0; b < B; b++)
    for (let s = 0; s < S; s++) {
      const i = b * S + s;
      if (opts.soft) {
        const raw = Array.from({ length: C }, () => rng.next());
        const z = raw.reduce((a, v) => a + v, 0);
        raw.forEach((v, c) => (target[i * C + c] = C === 1 ? v : v / z));
      } else {
        let label = rng.int(0, Math.max(C - 1, 1));
        if (opts.absentClassInImage !== undefined && b === 0 && label === opts.absentClassInImage) label = 0;
        labels[i] = label;
        if (C === 1) target[i] = label;
        else target[i * C + label] = 1;
      }
    }
  const yPred = tf.tensor(Float32Array.from(logits), shape);
  const yTrue =
    opts.labelMap && !opts.soft && C > 1
      ? tf.tensor(labels, [...shape.slice(0, -1), 1], 'int32')
      : tf.tensor(Float32Array.from(target), shape);
  // The reference sees the float32-rounded logits the tensor holds.
  return { yPred, yTrue, ref: { B, S, C, logits: Float64Array.from(yPred.dataSync()), target } };
}

/** Max relative error between two arrays, with an absolute floor for values near 0. */
export function maxRelativeError(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-6): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(b[i]!), floor);
    if (d > worst || Number.isNaN(d)) worst = Number.isNaN(d) ? Infinity : d;
  }
  return a.length === b.length ? worst : Infinity;
}
