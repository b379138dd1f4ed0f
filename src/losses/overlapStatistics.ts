import * as tf from '@tensorflow/tfjs';

/**
 * Per-image, per-class sums over the voxels of a prediction p and a reference r:
 * - `tp` Σ p·r, `sumP` Σ p, `sumR` Σ r, `sumP2` Σ p², `sumR2` Σ r², `sumAbsP` Σ |p|, `sumAbsR` Σ |r|,
 * - `absDiff` Σ |p - r|, `sqDiff` Σ (p - r)², `sqDiffR` Σ (p - r)²·r.
 */
export type OverlapStatistic =
  | 'tp'
  | 'sumP'
  | 'sumR'
  | 'sumP2'
  | 'sumR2'
  | 'sumAbsP'
  | 'sumAbsR'
  | 'absDiff'
  | 'sqDiff'
  | 'sqDiffR';

export const overlapStatisticNames: readonly OverlapStatistic[] = [
  'tp',
  'sumP',
  'sumR',
  'sumP2',
  'sumR2',
  'sumAbsP',
  'sumAbsR',
  'absDiff',
  'sqDiff',
  'sqDiffR',
];

/** 'fused': one pass over memory with a hand-written gradient; 'composed': TF.js ops and autodiff. */
export type OverlapImplementation = 'fused' | 'composed' | 'auto';

/** Backends whose tensors live in CPU-reachable memory, where the fused loop pays off. */
const fusedBackends = new Set(['cpu', 'wasm']);

/**
 * Computes the requested sums of `p` and `r` (both `[B, S, C]`) over S, as `[B, C]` tensors.
 * Gradients flow to `p` only (the reference is a constant). `firstChannel` keeps channels
 * `firstChannel..C-1` of the result (1 drops the background). With 'auto' (default) the fused
 * single-pass implementation runs on the `cpu` and `wasm` backends and the composed one elsewhere;
 * both give the same values and gradients.
 */
export function overlapStatistics<K extends OverlapStatistic>(
  p: tf.Tensor3D,
  r: tf.Tensor3D,
  stats: readonly K[],
  options: { implementation?: OverlapImplementation; firstChannel?: number } = {},
): Record<K, tf.Tensor2D> {
  const implementation = options.implementation ?? 'auto';
  const first = options.firstChannel ?? 0;
  if (p.rank !== 3 || r.rank !== 3 || p.shape.some((d, i) => d !== r.shape[i])) {
    throw new Error(`overlapStatistics: p and r must both be [B, S, C], got [${p.shape.join(', ')}] and [${r.shape.join(', ')}]`);
  }
  const [B, , C] = p.shape;
  if (!Number.isInteger(first) || first < 0 || first >= C) {
    throw new Error(`overlapStatistics: firstChannel must be in 0..${C - 1}, got ${first}`);
  }
  const useFused = implementation === 'fused' || (implementation === 'auto' && fusedBackends.has(tf.getBackend()));
  const all = useFused ? fusedStatistics(p, r, stats) : composedStatistics(p, r, stats);
  if (first === 0) return all;
  // Channels are dropped from the small [B, C] sums, never from the large inputs.
  const out = {} as Record<K, tf.Tensor2D>;
  for (const s of stats) out[s] = tf.slice(all[s], [0, first], [B, C - first]);
  return out;
}

function composedStatistics<K extends OverlapStatistic>(p: tf.Tensor3D, r: tf.Tensor3D, stats: readonly K[]): Record<K, tf.Tensor2D> {
  const out = {} as Record<K, tf.Tensor2D>;
  const sum = (t: tf.Tensor): tf.Tensor2D => tf.sum(t, 1);
  for (const s of stats) {
    let v: tf.Tensor2D;
    switch (s as OverlapStatistic) {
      case 'tp':
        v = sum(tf.mul(p, r));
        break;
      case 'sumP':
        v = sum(p);
        break;
      case 'sumR':
        v = sum(r);
        break;
      case 'sumP2':
        v = sum(tf.square(p));
        break;
      case 'sumR2':
        v = sum(tf.square(r));
        break;
      case 'sumAbsP':
        v = sum(tf.abs(p));
        break;
      case 'sumAbsR':
        v = sum(tf.abs(r));
        break;
      case 'absDiff':
        v = sum(tf.abs(tf.sub(p, r)));
        break;
      case 'sqDiff':
        v = sum(tf.squaredDifference(p, r));
        break;
      case 'sqDiffR':
        v = sum(tf.mul(tf.squaredDifference(p, r), r));
        break;
    }
    out[s] = v;
  }
  return out;
}

const enum Stat {
  Tp,
  SumP,
  SumR,
  SumP2,
  SumR2,
  SumAbsP,
  SumAbsR,
  AbsDiff,
  SqDiff,
  SqDiffR,
  Count,
}

function add(a: Float64Array, i: number, v: number): void {
  a[i] = a[i]! + v;
}

/** All ten sums in one pass, accumulated in float64; the gradient w.r.t. p in one pass as well. */
function fusedStatistics<K extends OverlapStatistic>(p: tf.Tensor3D, r: tf.Tensor3D, stats: readonly K[]): Record<K, tf.Tensor2D> {
  const [B, S, C] = p.shape;
  const rv = r.dataSync();
  const wantSquares = stats.some((s) => s === 'sumP2' || s === 'sumR2');
  const wantAbs = stats.some((s) => s === 'sumAbsP' || s === 'sumAbsR' || s === 'absDiff');
  const wantDiff = stats.some((s) => s === 'sqDiff' || s === 'sqDiffR');
  const n = Stat.Count;

  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const pIn = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    save([pIn]);
    const pv = pIn.dataSync();
    const acc = new Float64Array(n * B * C);
    const row = new Float64Array(n * C);
    for (let b = 0; b < B; b++) {
      row.fill(0);
      let idx = b * S * C;
      for (let v = 0; v < S; v++) {
        for (let c = 0; c < C; c++, idx++) {
          const pp = pv[idx]!;
          const rr = rv[idx]!;
          add(row, Stat.Tp * C + c, pp * rr);
          add(row, Stat.SumP * C + c, pp);
          add(row, Stat.SumR * C + c, rr);
          if (wantSquares) {
            add(row, Stat.SumP2 * C + c, pp * pp);
            add(row, Stat.SumR2 * C + c, rr * rr);
          }
          if (wantAbs) {
            add(row, Stat.SumAbsP * C + c, Math.abs(pp));
            add(row, Stat.SumAbsR * C + c, Math.abs(rr));
            add(row, Stat.AbsDiff * C + c, Math.abs(pp - rr));
          }
          if (wantDiff) {
            const d2 = (pp - rr) * (pp - rr);
            add(row, Stat.SqDiff * C + c, d2);
            add(row, Stat.SqDiffR * C + c, d2 * rr);
          }
        }
      }
      for (let k = 0; k < n; k++) for (let c = 0; c < C; c++) acc[(k * B + b) * C + c] = row[k * C + c]!;
    }
    const value = tf.tensor3d(Float32Array.from(acc), [n, B, C]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor => {
      const g = dy.dataSync();
      const pSaved = saved[0]!.dataSync();
      const grad = new Float32Array(B * S * C);
      const at = (k: Stat, b: number, c: number): number => g[(k * B + b) * C + c]!;
      for (let b = 0; b < B; b++) {
        for (let c = 0; c < C; c++) {
          const gTp = at(Stat.Tp, b, c);
          const gP = at(Stat.SumP, b, c);
          const gP2 = 2 * at(Stat.SumP2, b, c);
          const gAbsP = at(Stat.SumAbsP, b, c);
          const gAbsDiff = at(Stat.AbsDiff, b, c);
          const gSq = 2 * at(Stat.SqDiff, b, c);
          const gSqR = 2 * at(Stat.SqDiffR, b, c);
          const simple = gP2 === 0 && gAbsP === 0 && gAbsDiff === 0 && gSq === 0 && gSqR === 0;
          let idx = b * S * C + c;
          if (simple) {
            for (let v = 0; v < S; v++, idx += C) grad[idx] = gTp * rv[idx]! + gP;
          } else {
            for (let v = 0; v < S; v++, idx += C) {
              const pp = pSaved[idx]!;
              const rr = rv[idx]!;
              const d = pp - rr;
              grad[idx] =
                gTp * rr + gP + gP2 * pp + gAbsP * Math.sign(pp) + gAbsDiff * Math.sign(d) + gSq * d + gSqR * d * rr;
            }
          }
        }
      }
      return tf.tensor3d(grad, [B, S, C]);
    };
    return { value, gradFunc };
  });

  const stacked = op(p) as tf.Tensor3D;
  const out = {} as Record<K, tf.Tensor2D>;
  for (const s of stats) {
    const k = overlapStatisticNames.indexOf(s);
    out[s] = tf.squeeze(tf.slice(stacked, [k, 0, 0], [1, B, C]), [0]);
  }
  return out;
}

/** Soft true positives, false positives and false negatives per image and class (`[B, C]`, or `[1, C]` with `batch`). */
export interface SoftConfusion {
  tp: tf.Tensor2D;
  fp: tf.Tensor2D;
  fn: tf.Tensor2D;
}

/**
 * tp, fp, fn of `p` against `r` (`[B, S, C]`), as MONAI 1.5 defines them:
 * - default: tp = Σpr, fp = Σp - tp, fn = Σr - tp;
 * - `squared`: tp = Σpr, fp = Σp² - tp, fn = Σr² - tp;
 * - `softLabel`: tp = (Σ|p| + Σ|r| - Σ|p - r|)/2, fp = Σ|p| - tp, fn = Σ|r| - tp.
 * With `batch` the sums are pooled over the batch (`[1, C]`).
 */
export function softConfusion(
  p: tf.Tensor3D,
  r: tf.Tensor3D,
  opts: { softLabel: boolean; squared: boolean; batch: boolean; firstChannel?: number },
): SoftConfusion {
  const channels = { firstChannel: opts.firstChannel ?? 0 };
  const pool = (t: tf.Tensor2D): tf.Tensor2D => (opts.batch ? tf.sum(t, 0, true) : t);
  if (opts.squared) {
    const s = overlapStatistics(p, r, ['tp', 'sumP2', 'sumR2'], channels);
    const tp = pool(s.tp);
    return { tp, fp: tf.sub(pool(s.sumP2), tp), fn: tf.sub(pool(s.sumR2), tp) };
  }
  if (opts.softLabel) {
    const s = overlapStatistics(p, r, ['sumAbsP', 'sumAbsR', 'absDiff'], channels);
    const sp = pool(s.sumAbsP);
    const sr = pool(s.sumAbsR);
    const tp = tf.div(tf.sub(tf.add(sp, sr), pool(s.absDiff)), 2) as tf.Tensor2D;
    return { tp, fp: tf.sub(sp, tp), fn: tf.sub(sr, tp) };
  }
  const s = overlapStatistics(p, r, ['tp', 'sumP', 'sumR'], channels);
  const tp = pool(s.tp);
  return { tp, fp: tf.sub(pool(s.sumP), tp), fn: tf.sub(pool(s.sumR), tp) };
}
