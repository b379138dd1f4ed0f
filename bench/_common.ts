/**
 * Shared output for benchmarks: `printRows(name, rows)` prints an aligned table on stdout, or with
 * `--json` in argv exactly one JSON document {"bench": name, "rows": [...]} and nothing else on stdout.
 * Progress and notes go to stderr through `note`.
 */
export type BenchRow = { name: string } & Record<string, number | string | null>;

export const jsonMode = process.argv.includes('--json');

export function note(message: string): void {
  process.stderr.write(`${message}\n`);
}

export function printRows(bench: string, rows: BenchRow[]): void {
  if (jsonMode) {
    process.stdout.write(`${JSON.stringify({ bench, rows })}\n`);
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
