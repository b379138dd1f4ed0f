import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expandGrid, type StudyConfig } from '../grid.js';
import { clearTrialFolder, inspectTrialRecord, openStudy, setTrialRecordAside, studyTrials, writeTrialRecord } from './store.js';
import { unfinishedTrialRecord } from './trial.js';
import type { TrialParameters, TrialRecord } from '../types.js';

/** How often a trial runs before a crash of its worker process is recorded as its failure: once, then one retry. */
const ATTEMPTS = 2;
/** Lines of a dead worker's stderr kept for its trial's cause. */
const STDERR_LINES = 8;
const NATIVE_FRAME = /^\s*(\d+: 0x[0-9a-f]+ |----- Native stack trace -----)/;

export interface RunStudyOptions {
  /** Parallel worker processes. Default: one per core. */
  workers?: number;
  /** Extra Node flags of the worker processes (e.g. `--max-old-space-size=8192` for large 3D trials). */
  workerExecArgv?: readonly string[];
  /** Run even when the records and the trials to run fit no single protocol version (see `protocol.ts`). Default false. */
  allowMixedProtocols?: boolean;
  /** A trial starts in a worker process; `attempt` is 2 when it is retried after its first worker died. */
  onTrialStart?: (id: string, index: number, total: number, worker: { pid: number | undefined; attempt: number }) => void;
  onTrialDone?: (record: TrialRecord, done: number, total: number) => void;
  /** A trial's worker process died (`cause`: exit code or signal and its last stderr lines); `retry` says whether it runs again. */
  onTrialCrash?: (id: string, cause: string, retry: boolean) => void;
  /**
   * A record that cannot be trusted (`problem` names its path and why) or one of a failed trial was set
   * aside (to `aside`) and its trial will run again. Default: a line on stderr.
   */
  onRecordSetAside?: (problem: string, aside: string) => void;
}

export interface RunStudySummary {
  dir: string;
  total: number;
  /** Trials finished before this run (skipped). */
  skipped: number;
  ran: number;
  failed: number;
  diverged: number;
  /** Records set aside before the run (invalid, or of failed trials), whose trials ran again. */
  setAside: number;
  /** Each failed trial of this run with its cause. */
  failures: Array<{ id: string; error: string }>;
  seconds: number;
}

/**
 * V8 flags of the worker processes. With one worker per core, V8's parallel garbage-collection helper
 * threads only compete with the other workers: the engine's kernels allocate a fresh typed array per op,
 * and in a 2-worker study on 2 cores those helpers used about as much CPU as the trials themselves.
 * Single-threaded GC measured 7.4–8.5 s of CPU instead of 10.2–10.9 s for 60 TwoPathCNN iterations.
 */
const WORKER_V8_FLAGS = ['--single-threaded-gc'];

type WorkerReply = { ok: true; record: TrialRecord } | { ok: false; id: string; error: string };
type Outcome = { kind: 'record'; record: TrialRecord } | { kind: 'crash'; cause: string };

/**
 * One trial worker process (trialWorker.ts). Its stderr passes through to ours and its last lines are
 * kept, so that a trial whose worker dies is recorded with the cause. From dist it runs trialWorker.js;
 * from the sources (tsx, vitest) the .ts file, through tsx's loader (`--import`).
 */
export class TrialProcess {
  private readonly child: ChildProcess;
  private stderrTail = '';
  private closed: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private settle: ((outcome: Outcome) => void) | undefined;

  constructor(extraExecArgv: readonly string[]) {
    const ts = import.meta.url.endsWith('.ts');
    const file = fileURLToPath(new URL(ts ? './trialWorker.ts' : './trialWorker.js', import.meta.url));
    const execArgv = [...(ts ? ['--import', import.meta.resolve('tsx')] : []), ...WORKER_V8_FLAGS, ...extraExecArgv];
    this.child = fork(file, [], { execArgv, stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
    this.child.stderr!.on('data', (chunk: Buffer) => {
      process.stderr.write(chunk);
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-16384);
    });
    this.child.on('message', (reply: WorkerReply) => {
      if (reply.ok) this.finish({ kind: 'record', record: reply.record });
      else this.finish({ kind: 'crash', cause: `the worker could not run it: ${reply.error}` });
    });
    this.child.on('error', (err) => this.finish({ kind: 'crash', cause: `worker process error: ${err.message}` }));
    // 'close' comes after the stderr stream has ended, so the tail is complete.
    this.child.on('close', (code, signal) => {
      this.closed = { code, signal };
      this.finish({ kind: 'crash', cause: this.deathCause() });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.closed === undefined && this.child.connected;
  }

  run(studyDir: string, id: string): Promise<Outcome> {
    return new Promise((resolveOutcome) => {
      this.settle = resolveOutcome;
      this.child.send({ studyDir, id }, (err) => {
        // A worker that died before taking the trial (EPIPE): its 'close' gives the cause (signal, exit
        // code, stderr). One whose channel broke while it lives is ended, which closes it too.
        if (err && this.closed === undefined) setTimeout(() => this.closed === undefined && this.child.kill('SIGKILL'), 5000).unref();
      });
    });
  }

  /** Ends the process and resolves once it has exited. */
  stop(): Promise<void> {
    this.settle = undefined;
    if (this.closed !== undefined) return Promise.resolve();
    return new Promise((resolveStop) => {
      this.child.once('close', () => resolveStop());
      this.child.kill();
    });
  }

  kill(): void {
    this.child.kill();
  }

  private deathCause(): string {
    const how = this.closed?.signal ? `was killed by signal ${this.closed.signal}` : `exited with code ${String(this.closed?.code)}`;
    // V8's native stack frames after a fatal error say nothing about the trial; its message comes before them.
    const lines = this.stderrTail
      .split('\n')
      .filter((l) => l.trim() !== '' && !NATIVE_FRAME.test(l))
      .slice(-STDERR_LINES);
    return `worker process ${String(this.child.pid)} ${how}${lines.length ? `; its last stderr lines:\n${lines.map((l) => `    ${l}`).join('\n')}` : ' (nothing on stderr)'}`;
  }

  private finish(outcome: Outcome): void {
    const settle = this.settle;
    this.settle = undefined;
    settle?.(outcome);
  }
}

/**
 * Runs every trial of a study that has no valid record yet, in parallel worker processes, and stores each
 * record as it finishes (see `store.ts`).
 * - Records are checked first: an invalid one is set aside (kept) and its trial starts afresh; one of a
 *   failed trial is set aside and its trial resumes from its checkpoint, if any. Records and trials to
 *   run must fit one protocol version (`protocol.ts`) unless `allowMixedProtocols`; else nothing runs
 *   and the error names the records.
 * - A worker process that dies (signal, out of memory, uncaught error) costs only its trial: the trial
 *   runs again in a fresh worker, and when that one dies too it is recorded as failed with the cause
 *   (exit code or signal, last stderr lines). The other trials go on.
 * - Interrupted studies resume: finished trials are skipped and a trial cut short continues from its
 *   checkpoint. oneDNN's OpenMP threads are shared out between the workers (OMP_NUM_THREADS = cores /
 *   workers unless already set). SIGINT or SIGTERM stops the workers too.
 */
export async function runStudy(config: StudyConfig, dirInput: string, options: RunStudyOptions = {}): Promise<RunStudySummary> {
  const dir = resolve(dirInput);
  const started = performance.now();
  if (options.workers !== undefined && !(Number.isInteger(options.workers) && options.workers > 0)) {
    throw new Error(`runStudy: workers must be a positive integer, got ${String(options.workers)}`);
  }
  openStudy(dir, config);
  const grid = expandGrid(config);
  const { pending } = studyTrials(dir, grid, { who: 'runStudy', allowMixedProtocols: options.allowMixedProtocols, override: '--allow-mixed-protocols, or the option allowMixedProtocols,' });
  const setAside = options.onRecordSetAside ?? ((problem, aside) => process.stderr.write(`study: ${problem}\n  set aside as ${aside}; the trial runs again\n`));
  for (const t of pending) {
    const { state } = t;
    if (state.kind === 'invalid') {
      // The training that ended in an untrusted record is not trusted either: the trial starts afresh.
      setAside(state.problem, setTrialRecordAside(state.path, 'rejected'));
      clearTrialFolder(dir, t.id);
    }
    if (state.kind === 'valid') setAside(`${state.path}: the trial failed (${state.record.error ?? 'no cause recorded'})`, setTrialRecordAside(state.path, 'failed'));
  }

  const cores = availableParallelism();
  const workers = Math.max(1, Math.min(options.workers ?? cores, pending.length || 1));
  process.env.OMP_NUM_THREADS ??= String(Math.max(1, Math.floor(cores / workers)));
  const summary: RunStudySummary = {
    dir,
    total: grid.length,
    skipped: grid.length - pending.length,
    ran: 0,
    failed: 0,
    diverged: 0,
    setAside: pending.filter((t) => t.state.kind !== 'missing').length,
    failures: [],
    seconds: 0,
  };
  const queue: Array<{ id: string; parameters: TrialParameters; attempt: number; seconds: number; causes: string[] }> = pending.map((t) => ({
    id: t.id,
    parameters: t.parameters,
    attempt: 1,
    seconds: 0,
    causes: [],
  }));
  let done = summary.skipped;
  const processes = new Set<TrialProcess>();
  const stopChildren = (signal: NodeJS.Signals): void => {
    for (const p of processes) p.kill();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGINT', stopChildren);
  process.on('SIGTERM', stopChildren);

  const record = (r: TrialRecord): void => {
    summary.ran++;
    if (r.status === 'failed') {
      summary.failed++;
      summary.failures.push({ id: r.id, error: r.error ?? 'no cause recorded' });
    }
    if (r.status === 'diverged') summary.diverged++;
    options.onTrialDone?.(r, ++done, grid.length);
  };

  const slot = async (): Promise<void> => {
    let worker: TrialProcess | undefined;
    try {
      for (let trial = queue.shift(); trial !== undefined; trial = queue.shift()) {
        if (worker === undefined || !worker.alive) {
          worker = new TrialProcess(options.workerExecArgv ?? []);
          processes.add(worker);
        }
        options.onTrialStart?.(trial.id, grid.findIndex((t) => t.id === trial!.id), grid.length, { pid: worker.pid, attempt: trial.attempt });
        const t0 = performance.now();
        const outcome = await worker.run(dir, trial.id);
        trial.seconds += (performance.now() - t0) / 1000;
        if (outcome.kind === 'record') {
          record(outcome.record);
          continue;
        }
        await worker.stop();
        processes.delete(worker);
        worker = undefined;
        // Died after writing the record, before answering: the record stands (records set aside earlier are gone).
        const written = inspectTrialRecord(dir, trial.id, trial.parameters);
        if (written.kind === 'valid') {
          record(written.record);
          continue;
        }
        trial.causes.push(outcome.cause);
        const retry = trial.attempt < ATTEMPTS;
        options.onTrialCrash?.(trial.id, outcome.cause, retry);
        if (retry) {
          queue.unshift({ ...trial, attempt: trial.attempt + 1 });
          continue;
        }
        const error = `its worker process died in each of ${ATTEMPTS} attempts: ${trial.causes.map((c, i) => `(${i + 1}) ${c}`).join('; ')}`;
        const failed = unfinishedTrialRecord(dir, config, trial.id, trial.parameters, { status: 'failed', error, seconds: trial.seconds });
        writeTrialRecord(dir, failed);
        record(failed);
      }
    } finally {
      if (worker !== undefined) {
        await worker.stop();
        processes.delete(worker);
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: workers }, () => slot()));
  } finally {
    for (const p of processes) p.kill();
    process.off('SIGINT', stopChildren);
    process.off('SIGTERM', stopChildren);
  }
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}
