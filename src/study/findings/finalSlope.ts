import type { TrialRecord } from '../types.js';

/** Least-squares slope of the training Dice over the last quarter of a curve, per 1000 iterations. */
export function finalSlope(record: Pick<TrialRecord, 'curve'>): number | undefined {
  const points = record.curve.filter((p) => Number.isFinite(p.dice) && Number.isFinite(p.iteration));
  if (points.length === 0) return undefined;
  const last = Math.max(...points.map((p) => p.iteration));
  const tail = points.filter((p) => p.iteration >= 0.75 * last);
  if (tail.length < 3) return undefined;
  const mx = tail.reduce((a, p) => a + p.iteration, 0) / tail.length;
  const my = tail.reduce((a, p) => a + p.dice, 0) / tail.length;
  let sxy = 0;
  let sxx = 0;
  for (const p of tail) {
    sxy += (p.iteration - mx) * (p.dice - my);
    sxx += (p.iteration - mx) ** 2;
  }
  return sxx === 0 ? undefined : (sxy / sxx) * 1000;
}
