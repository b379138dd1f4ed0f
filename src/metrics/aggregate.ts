import { medianOfSorted } from '../common/stats.js';
import type { MetricResult } from './metricResult.js';

/** Statistics of a set of metric values; NaN values are skipped and counted. */
export interface Summary {
  mean: number;
  median: number;
  /** Population standard deviation. */
  std: number;
  min: number;
  max: number;
  /** Values used (not NaN). */
  count: number;
  /** Values present, NaN included: `total − count` were undefined under the empty-case policy. */
  total: number;
}

export interface Aggregate {
  metric?: string;
  /** The class index of each column (-1: a pooled column). */
  classes: number[];
  /** Over every non-NaN value of the table (MONAI's 'mean' reduction). */
  overall: Summary;
  /** Per column (class), over images. */
  perClass: Summary[];
  /** Per row (image), over classes. */
  perImage: Summary[];
}

/**
 * Mean, median, std, min and max of `values`, skipping NaN; ±Infinity counts as a value. Over zero
 * values every statistic is NaN and `count` is 0.
 */
export function summarize(values: readonly number[]): Summary {
  const kept = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  const n = kept.length;
  if (n === 0) return { mean: NaN, median: NaN, std: NaN, min: NaN, max: NaN, count: 0, total: values.length };
  let sum = 0;
  for (const v of kept) sum += v;
  const mean = sum / n;
  let sq = 0;
  for (const v of kept) sq += (v - mean) ** 2;
  const median = medianOfSorted(kept);
  return { mean, median, std: Number.isFinite(mean) ? Math.sqrt(sq / n) : NaN, min: kept[0]!, max: kept[n - 1]!, count: n, total: values.length };
}

/**
 * Aggregates a `[B][C]` table of metric values (or a {@link MetricResult}): overall, per class (over
 * images) and per image (over classes), each with its count of non-NaN values.
 */
export function aggregate(input: MetricResult | readonly (readonly number[])[], classes?: readonly number[]): Aggregate {
  const table = Array.isArray(input) ? (input as readonly (readonly number[])[]) : (input as MetricResult).values;
  const cols = classes ?? (Array.isArray(input) ? undefined : (input as MetricResult).classes) ?? (table[0] ?? []).map((_, i) => i);
  for (const [b, row] of table.entries()) {
    if (row.length !== cols.length) throw new Error(`aggregate: row ${b} has ${row.length} values but there are ${cols.length} classes [${cols.join(',')}]`);
  }
  const out: Aggregate = {
    classes: [...cols],
    overall: summarize(table.flat()),
    perClass: cols.map((_, j) => summarize(table.map((row) => row[j]!))),
    perImage: table.map((row) => summarize(row)),
  };
  if (!Array.isArray(input)) out.metric = (input as MetricResult).metric;
  return out;
}
