import { accessSync, constants, statSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { UnrecoverableError, Worker, WaitingError, type Job } from 'bullmq';
import { openStudy, readTrialRecord } from '../store.js';
import type { StudyConfig } from '../../grid.js';
import { closeRedis, openRedis, redisLabel } from './redisConnection.js';
import { runTrialProcess } from './trialProcess.js';
import type { TrialRecord } from '../../types.js';
import { encodeTrialResult, parseTrialJob, QUEUE_NAME, studyKey, type TrialJobData } from './trialJob.js';

export interface QueueWorkerOptions {
  /** `redis://HOST:PORT`. */
  url: string;
  /**
   * Trials run at once, each in its own process. Default: one per core, like the local runner's workers, so that
   * each trial gets the same OpenMP threads as in a local run (oneDNN's sums depend on the thread count: the same
   * trial with 1 and 2 threads differs in the last bits of its loss).
   */
  concurrency?: number;
  /** Where trials train (checkpoints, models), one sub-folder per study. Default `./gendice-work`. */
  workDir?: string;
  /** A shared folder that trials train in instead of `workDir`, so models and checkpoints are visible to every host. */
  artifactsDir?: string;
  /**
   * How long a trial's lock lasts without renewal (renewed every half of it). A worker killed with -9 holds its
   * trial until the lock expires and another worker's stalled check (every `stalledInterval`) sees it. Defaults:
   * 30 s and 15 s, so a lost trial is running again within about 45 s. Tests use a few seconds.
   */
  lockDuration?: number;
  stalledInterval?: number;
  /** Log lines (trial started, finished, handed back; Redis lost and back). Default: none. */
  log?: (line: string) => void;
}

export interface QueueWorker {
  /** This worker's name on the queue (`host:pid`), stored on every job it processes. */
  name: string;
  /**
   * Stops taking trials, hands the running ones back to the queue at once (their processes are killed;
   * they go back to waiting without counting as an attempt, and any worker takes them again, from their
   * last checkpoint when it trains in the same folder) and closes. Resolves with the handed-back trial ids.
   */
  stop(): Promise<string[]>;
  /** Resolves when the worker has closed. */
  closed: Promise<void>;
}

export const DEFAULT_LOCK_DURATION_MS = 30_000;
export const DEFAULT_STALLED_INTERVAL_MS = 15_000;
/** A trial whose worker vanished (killed, crashed, lost its lock) twice is failed: BullMQ's `maxStalledCount`. */
const MAX_STALLED_COUNT = 1;
const HAND_BACK = 'handed back: the worker is stopping';

/** Checks that a study's dataset is a readable folder on this host before a trial starts. */
export function checkDatasetReadable(study: StudyConfig): void {
  if (!('dataset' in study.data)) return;
  const path = study.data.dataset;
  try {
    if (!statSync(path).isDirectory()) throw new Error('not a folder');
    accessSync(path, constants.R_OK | constants.X_OK);
  } catch (err) {
    const reason = err instanceof Error ? ((err as NodeJS.ErrnoException).code ?? err.message) : String(err);
    throw new Error(`gendice worker: dataset ${path} is not readable on host ${hostname()} (${reason}); every worker needs it at that path (a shared folder)`);
  }
}

/** The record of a trial that finished (done or diverged) in this folder before; a failed or unreadable one runs again. */
function finishedRecord(dir: string, id: string): TrialRecord | undefined {
  try {
    const record = readTrialRecord(dir, id);
    return record !== undefined && record.status !== 'failed' ? record : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs trials from the queue until `stop()`: each job's trial trains in a child process, in
 * `<artifacts or work>/<study key>/trials/<id>/`, and its record (with `host`) is the job's return value.
 * OpenMP threads are shared out between the concurrent trials (OMP_NUM_THREADS = cores / concurrency
 * unless already set). A trial process that exits without a record fails the job; BullMQ retries it once
 * (`TRIAL_ATTEMPTS`). A trial whose lock this worker loses (Redis restarted, lock expired) is abandoned at once.
 * A trial that already finished in its folder (its result lost on the way) is not run again: its record is sent.
 */
export async function startQueueWorker(options: QueueWorkerOptions): Promise<QueueWorker> {
  const concurrency = options.concurrency ?? availableParallelism();
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`startQueueWorker: concurrency must be a positive integer; got ${String(concurrency)}`);
  const lockDuration = options.lockDuration ?? DEFAULT_LOCK_DURATION_MS;
  const stalledInterval = options.stalledInterval ?? DEFAULT_STALLED_INTERVAL_MS;
  for (const [name, value] of [['lockDuration', lockDuration], ['stalledInterval', stalledInterval]] as const) {
    if (!Number.isInteger(value) || value < 100) throw new Error(`startQueueWorker: ${name} must be an integer of at least 100 ms; got ${String(value)}`);
  }
  const log = options.log ?? (() => undefined);
  const workDir = resolve(options.workDir ?? 'gendice-work');
  const trainingRoot = options.artifactsDir !== undefined ? resolve(options.artifactsDir) : workDir;
  process.env.OMP_NUM_THREADS ??= String(Math.max(1, Math.floor(availableParallelism() / concurrency)));
  const name = `${hostname()}:${process.pid}`;
  const label = redisLabel(options.url);
  const connection = await openRedis('gendice worker', options.url, {
    onLost: (reason) => log(`worker ${name}: lost Redis at ${label} (${reason}); reconnecting, running trials go on`),
    onBack: () => log(`worker ${name}: Redis at ${label} is back`),
  });

  let stopping = false;
  const processor = async (job: Job<TrialJobData, string>, token: string | undefined, signal?: AbortSignal): Promise<string> => {
    let parsed: ReturnType<typeof parseTrialJob>;
    try {
      parsed = parseTrialJob(job.data, job.id);
    } catch (err) {
      // Bad job data stays bad on every worker: no retry.
      throw new UnrecoverableError(err instanceof Error ? err.message : String(err));
    }
    const { study, trialId } = parsed;
    checkDatasetReadable(study);
    const dir = join(trainingRoot, studyKey(study));
    openStudy(dir, study);
    const finished = finishedRecord(dir, trialId);
    if (finished !== undefined) {
      // Finished here before, its result lost on the way (Redis restarted, or the coordinator's folder was lost).
      log(`worker ${name}: ${trialId} already finished in ${dir}; sending its record`);
      return encodeTrialResult({ ...finished, host: hostname() });
    }
    log(`worker ${name}: start ${trialId} (study ${study.name}, attempt ${job.attemptsStarted})`);
    try {
      await runTrialProcess(dir, trialId, signal);
      // The record as the trial wrote it, not the process's IPC message: that is JSON, in which NaN arrives as null.
      const record = readTrialRecord(dir, trialId);
      if (record === undefined) throw new Error(`trial ${trialId}: its process reported a record but wrote none in ${dir}`);
      log(`worker ${name}: done ${trialId} ${record.status}${record.score === null ? '' : ` score ${record.score.toFixed(4)}`} (${record.seconds.toFixed(0)} s)`);
      return encodeTrialResult({ ...record, host: hostname() });
    } catch (err) {
      if (stopping && signal?.reason === HAND_BACK && token !== undefined) {
        await job.moveToWait(token);
        log(`worker ${name}: handed back ${trialId}`);
        throw new WaitingError();
      }
      log(`worker ${name}: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
  };
  const worker = new Worker<TrialJobData, string>(QUEUE_NAME, processor, {
    connection,
    name,
    concurrency,
    lockDuration,
    stalledInterval,
    maxStalledCount: MAX_STALLED_COUNT,
    autorun: false,
  });
  let lastError = '';
  worker.on('error', (err) => {
    // Redis outages repeat the same error many times a second; one line per distinct message.
    if (err.message !== lastError) log(`worker ${name}: ${err.message}`);
    lastError = err.message;
  });
  worker.on('lockRenewalFailed', (jobIds: string[]) => {
    for (const id of jobIds) {
      log(`worker ${name}: lost the lock of ${id} (another worker may have it now); abandoning it`);
      worker.cancelJob(id, 'lock lost');
    }
  });
  // Job id -> trial id of the trials running here (what `stop()` hands back).
  const running = new Map<string, string>();
  worker.on('active', (job) => running.set(String(job.id), typeof job.data?.trialId === 'string' ? job.data.trialId : String(job.id)));
  worker.on('completed', (job) => running.delete(String(job.id)));
  worker.on('failed', (job) => {
    if (job) running.delete(String(job.id));
  });
  const closed = worker.run().then(async () => {
    await closeRedis(connection);
  });
  log(`worker ${name}: waiting for trials on ${label} (concurrency ${concurrency}, OMP_NUM_THREADS ${process.env.OMP_NUM_THREADS}, training in ${trainingRoot})`);
  return {
    name,
    closed,
    async stop() {
      stopping = true;
      const handedBack = [...running.values()];
      const closing = worker.close();
      worker.cancelAllJobs(HAND_BACK);
      await closing;
      await closed;
      return handedBack;
    },
  };
}
