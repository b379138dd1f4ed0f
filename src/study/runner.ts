import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { expandGrid, type StudyConfig } from './grid.js';
import { openStudy, readTrialRecord } from './store.js';
import type { TrialRecord } from './types.js';

export interface RunStudyOptions {
  /** Parallel worker threads. Default: one per core. */
  workers?: number;
  onTrialStart?: (id: string, index: number, total: number) => void;
  onTrialDone?: (record: TrialRecord, done: number, total: number) => void;
}

export interface RunStudySummary {
  dir: string;
  total: number;
  /** Trials finished before this run (skipped). */
  skipped: number;
  ran: number;
  failed: number;
  diverged: number;
  seconds: number;
}

/**
 * A trial worker thread. From dist it is trialWorker.js; from the sources (tsx, vitest) it is the .ts
 * file, loaded through tsx's loader registered inside the thread (an --import flag does not reach it).
 */
function startWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./trialWorker.js', import.meta.url));
  const tsx = import.meta.resolve('tsx/esm/api');
  const source = new URL('./trialWorker.ts', import.meta.url).href;
  return new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(source)}); });`, { eval: true });
}

/**
 * Runs every trial of a study that has no record yet, in parallel worker threads, and stores each
 * record as it finishes (see `store.ts`). Interrupted studies resume: finished trials are skipped and
 * a trial cut short continues from its checkpoint. oneDNN's OpenMP threads are shared out between the
 * workers (OMP_NUM_THREADS = cores / workers unless already set).
 */
export async function runStudy(config: StudyConfig, dirInput: string, options: RunStudyOptions = {}): Promise<RunStudySummary> {
  const dir = resolve(dirInput);
  const started = performance.now();
  openStudy(dir, config);
  const grid = expandGrid(config);
  const pending = grid.filter((t) => readTrialRecord(dir, t.id) === undefined);
  const cores = availableParallelism();
  const workers = Math.max(1, Math.min(options.workers ?? cores, pending.length || 1));
  if (!Number.isInteger(workers)) throw new Error(`runStudy: workers must be a positive integer, got ${String(options.workers)}`);
  process.env.OMP_NUM_THREADS ??= String(Math.max(1, Math.floor(cores / workers)));
  const summary: RunStudySummary = { dir, total: grid.length, skipped: grid.length - pending.length, ran: 0, failed: 0, diverged: 0, seconds: 0 };
  let next = 0;
  let done = summary.skipped;

  const runWorker = (): Promise<void> =>
    new Promise((resolveWorker, rejectWorker) => {
      if (next >= pending.length) {
        resolveWorker();
        return;
      }
      const worker = startWorker();
      let current: string | undefined;
      const dispatch = (): void => {
        if (next >= pending.length) {
          current = undefined;
          void worker.terminate().then(() => resolveWorker());
          return;
        }
        const trial = pending[next++]!;
        current = trial.id;
        options.onTrialStart?.(trial.id, grid.indexOf(trial), grid.length);
        worker.postMessage({ studyDir: dir, id: trial.id });
      };
      worker.on('message', (m: { ok: true; record: TrialRecord } | { ok: false; id: string; error: string }) => {
        if (!m.ok) {
          rejectWorker(new Error(`study: trial ${m.id} could not run: ${m.error}`));
          void worker.terminate();
          return;
        }
        summary.ran++;
        if (m.record.status === 'failed') summary.failed++;
        if (m.record.status === 'diverged') summary.diverged++;
        options.onTrialDone?.(m.record, ++done, grid.length);
        dispatch();
      });
      worker.on('error', (err) => rejectWorker(new Error(`study: worker failed${current ? ` on trial ${current}` : ''}: ${err.message}`)));
      worker.on('exit', (code) => {
        if (current !== undefined) rejectWorker(new Error(`study: worker exited with code ${code} during trial ${current}; re-run to resume`));
      });
      dispatch();
    });

  await Promise.all(Array.from({ length: workers }, () => runWorker()));
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}
