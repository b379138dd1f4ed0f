/**
 * Shared output for benchmarks: `printRows(name, rows)` prints an aligned table on stdout, or with
 * `--json` in argv exactly one JSON document {"bench": name, "rows": [...]} and nothing else on stdout.
 * Progress and notes go to stderr through `note`; the load average at the start and the end goes there too
 * (and into the JSON document as `loadAverage: { start, end }`), and at the end the share of CPU time the
 * hypervisor took from this virtual machine while the benchmark ran (`stealShare`, Linux's /proc/stat), which
 * no load average shows. PyTorch peers are checked for the BLAS they will link (`pytorchBlasWarning`).
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
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

/** CPU ticks in all states and in 'steal' so far (Linux), undefined elsewhere. */
function cpuTicks(): { total: number; steal: number } | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    if (fields.length < 8 || fields.some((v) => !Number.isFinite(v))) return undefined;
    return { total: fields.reduce((a, v) => a + v, 0), steal: fields[7]! };
  } catch {
    return undefined;
  }
}

const ticksAtStart = cpuTicks();

/** The share of all CPU time since the benchmark started that the hypervisor stole (0..1), undefined where unknown. */
export function stealShare(): number | undefined {
  const now = cpuTicks();
  if (now === undefined || ticksAtStart === undefined || now.total <= ticksAtStart.total) return undefined;
  return (now.steal - ticksAtStart.steal) / (now.total - ticksAtStart.total);
}

function noteSteal(): void {
  const share = stealShare();
  if (share === undefined) return;
  const warning = share > 0.02 ? ' WARNING: the host took CPU time from this machine: times are noisy, compare ratios within this run only' : '';
  note(`bench: CPU time stolen by the hypervisor during the run: ${(share * 100).toFixed(1)}%${warning}`);
}

const loadAtStart = noteLoad('start');
process.on('exit', () => {
  noteLoad('end');
  noteSteal();
});

/**
 * Why a PyTorch peer would be slower than PyTorch as its users run it, or undefined: Debian's python3-torch
 * links whatever libblas.so.3 the system provides, and with only the reference BLAS (libblas3) its
 * non-oneDNN paths (transposed convolutions, matmuls) are several times slower (the 2D U-Net step measured
 * 910 ms against 341 ms with OpenBLAS on this machine). `bash scripts/setup-bench.sh` installs OpenBLAS.
 */
export function pytorchBlasWarning(): string | undefined {
  const link = '/usr/lib/x86_64-linux-gnu/libblas.so.3';
  if (!existsSync(link)) return undefined;
  const target = realpathSync(link);
  return /\/blas\/libblas\.so/.test(target)
    ? `WARNING: PyTorch would link the reference BLAS (${target}): the peer is slower than PyTorch with OpenBLAS or MKL; run 'bash scripts/setup-bench.sh'`
    : undefined;
}

/** Peak memory of this process so far: the resident set's high-water mark (getrusage maxrss), in MB. */
export function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

export function printRows(bench: string, rows: BenchRow[]): void {
  if (jsonMode) {
    process.stdout.write(`${JSON.stringify({ bench, loadAverage: { start: loadAtStart, end: loadavg()[0] }, stealShare: stealShare() ?? null, rows })}\n`);
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

let blasNoted = false;

/** Notes `pytorchBlasWarning()` once per benchmark, before its first PyTorch peer runs. */
export function noteBlasOnce(): void {
  if (blasNoted) return;
  blasNoted = true;
  const warning = pytorchBlasWarning();
  if (warning !== undefined) note(`bench: ${warning}`);
}
