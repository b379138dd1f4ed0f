import { tQuantile975 } from './tQuantile.js';

/**
 * A mean over seeds with its 95% t-interval. Each seed contributes one value, computed from that
 * seed's trials only; `low`/`high` are null with fewer than two values (no interval).
 */
export interface Estimate {
  /** What the estimate measures, in words (display only). */
  label: string;
  mean: number;
  low: number | null;
  high: number | null;
  /** Number of seeds that contributed a value. */
  n: number;
  /** The per-seed values, in seed order. */
  values: number[];
}

/**
 * Mean of `values` with its 95% t-interval `mean ± t(0.975, n-1)·sd/√n` (sd with n-1).
 * Non-finite values are refused; with one value the interval is null, with none the mean is NaN.
 */
export function meanInterval(label: string, values: readonly number[]): Estimate {
  for (const v of values) if (!Number.isFinite(v)) throw new Error(`meanInterval: '${label}' holds a non-finite value ${v}`);
  const n = values.length;
  const mean = n === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { label, mean, low: null, high: null, n, values: [...values] };
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
  const half = (tQuantile975(n - 1) * Math.sqrt(variance)) / Math.sqrt(n);
  return { label, mean, low: mean - half, high: mean + half, n, values: [...values] };
}

/** The plain mean of `values`; undefined when there are none (the caller's "no data"). */
export function meanOf(values: readonly number[]): number | undefined {
  return values.length === 0 ? undefined : values.reduce((a, b) => a + b, 0) / values.length;
}

/** Formats an estimate as `0.123 [0.100, 0.146]`, or `0.123 (no interval, 1 seed)`. */
export function formatEstimate(e: Estimate, digits = 3): string {
  if (e.n === 0) return `${e.label}: no data`;
  const m = e.mean.toFixed(digits);
  return e.low === null || e.high === null
    ? `${e.label}: ${m} (no interval: ${e.n} seed)`
    : `${e.label}: ${m} [${e.low.toFixed(digits)}, ${e.high.toFixed(digits)}]`;
}

/** A Dice value in a finding's words: three decimals, `n/a` when not finite (no data). */
export function formatDice(v: number): string {
  return Number.isFinite(v) ? v.toFixed(3) : 'n/a';
}

/** A finding's intervals in words; with fewer than two seeds, prefixed by `no interval (1 seed)`. */
export function intervalText(evidence: readonly Estimate[], seeds: number): string {
  if (evidence.length === 0) return 'no data';
  const lines = evidence.map((e) => formatEstimate(e));
  return seeds < 2 ? `no interval (${seeds} seed${seeds === 1 ? '' : 's'}); ${lines.join('; ')}` : lines.join('; ');
}

/** Per seed: `fn(seed)` (undefined or non-finite = that seed lacks the data), then `meanInterval` over the seeds. */
export function overSeeds(seeds: readonly number[], label: string, fn: (seed: number) => number | undefined): Estimate {
  const values: number[] = [];
  for (const seed of seeds) {
    const v = fn(seed);
    if (v !== undefined && Number.isFinite(v)) values.push(v);
  }
  return meanInterval(label, values);
}
