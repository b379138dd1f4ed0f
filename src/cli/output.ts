/** Shared command-line output: results on stdout (one JSON document with --json), progress on stderr. */
import { numberFlag } from './flagParsers.js';

/** Prints a command's result: one JSON document with `json`, else the human-readable text. */
export function printResult(json: boolean | undefined, result: unknown, text: string): void {
  if (json) process.stdout.write(`${JSON.stringify(result, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))}\n`);
  else process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Writes a log line to stderr. */
export function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/**
 * A progress bar on stderr with rate and ETA. On a terminal it redraws one line; otherwise (CI,
 * pipes) it prints a line at most every 10 % or 30 s. No colours are used, so NO_COLOR holds.
 */
export class ProgressBar {
  private readonly tty = process.stderr.isTTY === true;
  private lastPrinted = 0;
  private lastFraction = -1;
  /** The first update: the rate is measured from it, since a bar is often made at the first event. */
  private first: { done: number; at: number } | undefined;

  constructor(
    private readonly label: string,
    private readonly total: number,
  ) {}

  update(done: number, detail = ''): void {
    const now = performance.now();
    const fraction = this.total > 0 ? done / this.total : 1;
    this.first ??= { done, at: now };
    const seconds = (now - this.first.at) / 1000;
    // Until a second update there is no interval to measure: '?' rather than one iteration over ~0 s.
    const rate = seconds > 0 && done > this.first.done ? (done - this.first.done) / seconds : Number.NaN;
    const eta = rate > 0 ? (this.total - done) / rate : Number.NaN;
    const width = 24;
    const filled = Math.round(fraction * width);
    const bar = `[${'='.repeat(Math.max(0, filled - 1))}${filled > 0 ? '>' : ''}${' '.repeat(width - filled)}]`;
    const rateText = !Number.isFinite(rate) ? '? it/s' : rate >= 1 ? `${rate.toFixed(1)} it/s` : `${(1 / rate).toFixed(2)} s/it`;
    const line = `${this.label} ${done}/${this.total} ${bar} ${Math.floor(fraction * 100)}% ${rateText} ETA ${duration(eta)}${detail ? ` ${detail}` : ''}`;
    if (this.tty) {
      process.stderr.write(`\r${line}\u001b[K`);
      if (done >= this.total) process.stderr.write('\n');
    } else if (done >= this.total || fraction - this.lastFraction >= 0.1 || now - this.lastPrinted > 30_000) {
      process.stderr.write(`${line}\n`);
      this.lastPrinted = now;
      this.lastFraction = fraction;
    }
  }
}

/** Parses a positive integer flag value (commander names the flag in its error). */
export function positiveInteger(_flag: string): (value: string) => number {
  return numberFlag({ integer: true, min: 1, max: Number.MAX_SAFE_INTEGER });
}

/** Parses a number in [lo, hi) (commander names the flag in its error). */
export function numberIn(_flag: string, lo: number, hi: number): (value: string) => number {
  return numberFlag(hi === Infinity ? { min: lo } : { min: lo, max: hi, maxExclusive: true });
}
