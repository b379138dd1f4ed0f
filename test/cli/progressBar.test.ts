import { afterEach, describe, expect, it, vi } from 'vitest';
import { ProgressBar } from '../../src/cli/output.js';

/** The lines a bar writes to a non-terminal stderr (as in CI and logs). */
function capture(run: (bar: ProgressBar) => void, total = 10): string[] {
  const writes: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    writes.push(String(chunk));
    return true;
  });
  try {
    run(new ProgressBar('train', total));
  } finally {
    spy.mockRestore();
  }
  return writes;
}

afterEach(() => vi.useRealTimers());

describe('ProgressBar (stderr not a terminal)', () => {
  it('shows no rate for the first update: a bar made at the first event has no interval to measure', () => {
    const lines = capture((bar) => bar.update(1));
    expect(lines).toEqual([`train 1/10 [=>${' '.repeat(22)}] 10% ? it/s ETA ?\n`]);
  });

  it('measures the rate and ETA from the first update on', () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const lines = capture((bar) => {
      bar.update(1);
      vi.advanceTimersByTime(2000);
      bar.update(5);
    });
    expect(lines[1]).toBe(`train 5/10 [${'='.repeat(11)}>${' '.repeat(12)}] 50% 2.0 it/s ETA 3s\n`);
  });

  it('writes lines without carriage returns', () => {
    const lines = capture((bar) => {
      for (let i = 1; i <= 10; i++) bar.update(i);
    });
    expect(lines.join('')).not.toContain('\r');
    expect(lines.at(-1)).toMatch(/^train 10\/10 \[=+>\] 100% /);
  });
});
