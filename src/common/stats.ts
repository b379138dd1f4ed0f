import { finiteNumber } from './options.js';

/**
 * The q-th percentile (0..100) of values sorted ascending, interpolating linearly between order
 * statistics (numpy.percentile's default, 'linear'): h = (n - 1)·q/100, x[⌊h⌋] + (h - ⌊h⌋)(x[⌊h⌋+1] - x[⌊h⌋]).
 * NaN for no values.
 */
export function percentileOfSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = ((n - 1) * q) / 100;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  return a + (h - lo) * (b - a);
}

/** The q-th percentile (0..100) of `values` (left unchanged), as {@link percentileOfSorted}; NaN for no values. */
export function percentile(values: ArrayLike<number>, q: number): number {
  finiteNumber('percentile', 'q', q, { min: 0, max: 100 });
  return percentileOfSorted(Float64Array.from(values).sort(), q);
}

/** The median of values sorted ascending: the middle one, or the mean of the middle two; NaN for none. */
export function medianOfSorted(sorted: ArrayLike<number>): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const mid = n >> 1;
  return n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The median of the finite values of `values` (NaN and ±Infinity left out); NaN when none is finite. */
export function median(values: ArrayLike<number>): number {
  const finite: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]!)) finite.push(values[i]!);
  return medianOfSorted(finite.sort((a, b) => a - b));
}
