/**
 * Shared output for benchmarks: `printRows(name, rows)` prints an aligned table on stdout, or with
 * `--json` in argv exactly one JSON document {"bench": name, "rows": [...]} and nothing else on stdout.
 * Progress and notes go to stderr through `note`; the load average at the start and the end goes there too
 * (and into the JSON document as `loadAverage: { start, end }`).
 */
import { loadavg } from 'node:os';

export type BenchRow = { name: string } & Record<string, number | string | null>;

export const jsonMode = process.argv.includes('--json');

export function note(message: string): void {
  process.stderr.write(`${message}\n`);
}

/**
 * The 1-minute load average, printed on stderr when a benchmark starts (on import of this file) and
 * when it ends, with a warning above 1: on a loaded machine only ratios measured in one run mean anything
 * (PyTorch's OpenMP threads collapse far more under load than gendice's kernels do).
 */
export function noteLoad(when: 'start' | 'end'): number {
  const [one, five] = loadavg() as [number, number, number];
  const warning = one > 1 ? ' WARNING: load average above 1, the machine is busy: compare ratios within this run only, not times' : '';
  note(`bench: load average at ${when}: ${one.toFixed(2)} (5 min ${five.toFixed(2)})${warning}`);
  return one;
}
const loadAtStart = noteLoad('start');
process.on('exit', () => noteLoad('end'));

/** Peak memory of this process so far: the resident set's high-water mark (getrusage maxrss), in MB. */
export function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

export function printRows(bench: string, rows: BenchRow[]): void {
  if (jsonMode) {
    process.stdout.write(`${JSON.stringify({ bench, loadAverage: { start: loadAtStart, end: loadavg()[0] }, rows })}\n`);
    return;
  }
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: unknown): string =>
    typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(4)) : v == null ? '' : String(v);
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]): string => `| ${vals.map((v, i) => v.padEnd(widths[i]!)).join(' | ')} |`;
  const out = [line(columns), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map((r) => line(columns.map((c) => cell(r[c]))))];
  process.stdout.write(`${out.join('\n')}\n`);
}

/** Median wall time in ms of `fn` over `repeats` runs after `warmup` runs. */
export async function timeMs(fn: () => unknown | Promise<unknown>, repeats = 5, warmup = 1): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/** Per-kernel totals of a `tf.profile` result: milliseconds and calls by kernel name. */
export function kernelTotals(kernels: ReadonlyArray<{ name: string; kernelTimeMs: unknown }>): Map<string, { ms: number; calls: number }> {
  const byKernel = new Map<string, { ms: number; calls: number }>();
  for (const k of kernels) {
    const entry = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
    entry.ms += Number(k.kernelTimeMs);
    entry.calls++;
    byKernel.set(k.name, entry);
  }
  return byKernel;
}
