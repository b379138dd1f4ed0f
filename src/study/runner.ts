import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expandGrid, type StudyConfig } from './grid.js';
import { openStudy, readTrialRecord } from './store.js';
import type { TrialRecord } from './types.js';

export interface RunStudyOptions {
  /** Parallel worker processes. Default: one per core. */
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
 * V8 flags of the worker processes. With one worker per core, V8's parallel garbage-collection helper
 * threads only compete with the other workers: the engine's kernels allocate a fresh typed array per op,
 * and in a 2-worker study on 2 cores those helpers used about as much CPU as the trials themselves.
 * Single-threaded GC measured 7.4–8.5 s of CPU instead of 10.2–10.9 s for 60 TwoPathCNN iterations.
 */
const WORKER_V8_FLAGS = ['--single-threaded-gc'];

/**
 * A trial worker process. From dist it is trialWorker.js; from the sources (tsx, vitest) it is the .ts
 * file, loaded through tsx's loader (`--import`).
 */
export function startWorker(): ChildProcess {
  const ts = import.meta.url.endsWith('.ts');
  const file = fileURLToPath(new URL(ts ? './trialWorker.ts' : './trialWorker.js', import.meta.url));
  const execArgv = [...(ts ? ['--import', import.meta.resolve('tsx')] : []), ...WORKER_V8_FLAGS];
  return fork(file, [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

/**
 * Runs every trial of a study that has no record yet, in parallel worker processes (one trial's crash or
 * memory cannot take the others down), and stores each record as it finishes (see `store.ts`). Interrupted
 * studies resume: finished trials are skipped and a trial cut short continues from its checkpoint. oneDNN's
 * OpenMP threads are shared out between the workers (OMP_NUM_THREADS = cores / workers unless already set).
 * SIGINT or SIGTERM stops the workers too.
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
  const children = new Set<ChildProcess>();
  const stopChildren = (signal: NodeJS.Signals): void => {
    for (const child of children) child.kill();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGINT', stopChildren);
  process.on('SIGTERM', stopChildren);

  const runWorker = (): Promise<void> =>
    new Promise((resolveWorker, rejectWorker) => {
      if (next >= pending.length) {
        resolveWorker();
        return;
      }
      const worker = startWorker();
      children.add(worker);
      let current: string | undefined;
      let finished = false;
      const stop = (): void => {
        finished = true;
        worker.kill();
        children.delete(worker);
      };
      const dispatch = (): void => {
        if (next >= pending.length) {
          current = undefined;
          worker.once('exit', () => resolveWorker());
          stop();
          return;
        }
        const trial = pending[next++]!;
        current = trial.id;
        options.onTrialStart?.(trial.id, grid.indexOf(trial), grid.length);
        worker.send({ studyDir: dir, id: trial.id });
      };
      worker.on('message', (m: { ok: true; record: TrialRecord } | { ok: false; id: string; error: string }) => {
        if (!m.ok) {
          stop();
          rejectWorker(new Error(`study: trial ${m.id} could not run: ${m.error}`));
          return;
        }
        summary.ran++;
        if (m.record.status === 'failed') summary.failed++;
        if (m.record.status === 'diverged') summary.diverged++;
        options.onTrialDone?.(m.record, ++done, grid.length);
        dispatch();
      });
      worker.on('error', (err) => {
        stop();
        rejectWorker(new Error(`study: worker failed${current ? ` on trial ${current}` : ''}: ${err.message}`));
      });
      worker.on('exit', (code, signal) => {
        children.delete(worker);
        if (!finished && current !== undefined) {
          rejectWorker(new Error(`study: worker exited with ${code !== null ? `code ${code}` : `signal ${String(signal)}`} during trial ${current}; re-run to resume`));
        }
      });
      dispatch();
    });

  try {
    await Promise.all(Array.from({ length: workers }, () => runWorker()));
  } finally {
    for (const child of children) child.kill();
    process.off('SIGINT', stopChildren);
    process.off('SIGTERM', stopChildren);
  }
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}
