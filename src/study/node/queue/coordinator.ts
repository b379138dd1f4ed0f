import { resolve } from 'node:path';
import { Queue, type Job } from 'bullmq';
import { expandGrid, type StudyConfig } from '../../grid.js';
import type { RunStudySummary } from '../runner.js';
import { openStudy, setTrialRecordAside, studyTrials, writeTrialRecord } from '../store.js';
import { unfinishedTrialRecord } from '../trial.js';
import type { TrialParameters, TrialRecord } from '../../types.js';
import { closeRedis, openRedis, redisLabel } from './redisConnection.js';
import { decodeTrialResult, QUEUE_NAME, studyForQueue, TRIAL_ATTEMPTS, trialJobId, type TrialJobData } from './trialJob.js';

export interface QueueStudyOptions {
  /** `redis://HOST:PORT`. */
  url: string;
  /** How often the queue is read. Default 1000 ms. */
  pollMs?: number;
  /** Aborting stops waiting (Ctrl-C): records written so far stay, queued and running trials go on in the workers. */
  signal?: AbortSignal;
  /** Run even when the records and the trials to run fit no single protocol version (see `protocol.ts`). Default false. */
  allowMixedProtocols?: boolean;
  /** Log lines: Redis lost and back, trials enqueued again, records set aside. */
  log?: (line: string) => void;
  onTrialDone?: (record: TrialRecord, done: number, total: number) => void;
  /** Called whenever the counts change. */
  onProgress?: (progress: QueueProgress) => void;
}

export interface QueueProgress {
  total: number;
  /** Trials with a record in the study folder that did not fail (done or diverged). */
  done: number;
  running: number;
  queued: number;
  /** Trials recorded as failed. */
  failed: number;
}

export interface QueueStudySummary extends RunStudySummary {
  /** Jobs that vanished from Redis (a restart without persistence) and were enqueued again. */
  reEnqueued: number;
  /** True when `signal` stopped the wait before every trial had a record. */
  interrupted: boolean;
}

/** The record of a trial whose job failed in the queue (its process crashed twice, or its worker vanished twice), or returned no valid record. */
function failedRecord(dir: string, study: StudyConfig, id: string, parameters: TrialParameters, job: Job, error: string): TrialRecord {
  const seconds = job.finishedOn !== undefined && job.processedOn !== undefined ? Math.max(0, (job.finishedOn - job.processedOn) / 1000) : 0;
  return {
    ...unfinishedTrialRecord(dir, study, id, parameters, { status: 'failed', error, seconds }),
    ...(job.processedBy !== undefined ? { host: job.processedBy } : {}),
  };
}

function failedReason(job: Job): string {
  const reason = job.failedReason === 'job stalled more than allowable limit' ? `its worker died or lost Redis twice (BullMQ: ${job.failedReason})` : job.failedReason;
  return `queue: trial failed after ${job.attemptsMade} attempt(s): ${reason}`;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolveSleep) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolveSleep();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * The coordinator of a study run by queue workers (`gendice worker`): enqueues every trial that `dir`
 * holds no record of (one job per trial, job id `<study key>/<trial id>`, so a re-run or a second
 * coordinator never queues a trial twice), then reads the queue every `pollMs` and writes each finished
 * trial's record into `dir` (`writeTrialRecord`) as it arrives; `dir` stays the one place the report reads.
 * Jobs left by an earlier coordinator are taken as they are: a completed one's record is written, a failed
 * one is recorded as failed, waiting and running ones are waited for. A job that vanished (Redis restarted
 * without persistence) is enqueued again and counted in `reEnqueued`. A study with no trial left to run
 * needs no Redis.
 */
export async function runStudyOnQueue(config: StudyConfig, dirInput: string, options: QueueStudyOptions): Promise<QueueStudySummary> {
  const dir = resolve(dirInput);
  const started = performance.now();
  const pollMs = options.pollMs ?? 1000;
  const log = options.log ?? (() => undefined);
  openStudy(dir, config);
  const grid = expandGrid(config);
  // The store's rules, as in a local run: an invalid record or one of a failed trial is set aside and its trial runs again.
  const { pending } = studyTrials(dir, grid, { who: 'study --queue', allowMixedProtocols: options.allowMixedProtocols, override: '--allow-mixed-protocols' });
  const outstanding = new Map(pending.map((t) => [t.id, t.parameters]));
  const failedBefore = new Set<string>();
  for (const { id, state } of pending) {
    if (state.kind === 'invalid') log(`study ${config.name}: ${state.problem}\n  set aside as ${setTrialRecordAside(state.path, 'rejected')}; the trial runs again`);
    if (state.kind === 'valid') {
      log(`study ${config.name}: ${state.path}: the trial failed (${state.record.error ?? 'no cause recorded'})\n  set aside as ${setTrialRecordAside(state.path, 'failed')}; the trial runs again`);
      failedBefore.add(id);
    }
  }
  const progress: QueueProgress = { total: grid.length, done: grid.length - pending.length, running: 0, queued: 0, failed: 0 };
  const summary: QueueStudySummary = {
    dir,
    total: grid.length,
    skipped: grid.length - pending.length,
    ran: 0,
    failed: 0,
    diverged: 0,
    setAside: pending.filter((t) => t.state.kind !== 'missing').length,
    failures: [],
    reEnqueued: 0,
    interrupted: false,
    seconds: 0,
  };
  if (outstanding.size === 0) return { ...summary, seconds: (performance.now() - started) / 1000 };

  const label = redisLabel(options.url);
  const connection = await openRedis('study --queue', options.url, {
    onLost: (reason) => log(`study ${config.name}: lost Redis at ${label} (${reason}); waiting for it (workers keep running their trials)`),
    onBack: () => log(`study ${config.name}: Redis at ${label} is back; checking the queue`),
  });
  const queue = new Queue<TrialJobData, string>(QUEUE_NAME, { connection });
  let lastQueueError = '';
  queue.on('error', (err) => {
    if (err.message !== lastQueueError) log(`study ${config.name}: queue: ${err.message}`);
    lastQueueError = err.message;
  });
  const jobStudy = studyForQueue(config);
  const seen = new Set<string>();
  let lastProgress = '';
  try {
    // A trial whose failed record was set aside runs again: its failed job goes, so that it can be queued anew.
    for (const id of failedBefore) {
      const job = await queue.getJob(trialJobId(jobStudy, id));
      if (job !== undefined && (await job.getState()) === 'failed') await job.remove();
    }
    while (outstanding.size > 0 && options.signal?.aborted !== true) {
      try {
        let running = 0;
        let queued = 0;
        const lost: string[] = [];
        for (const [id, parameters] of outstanding) {
          const jobId = trialJobId(jobStudy, id);
          const state = await queue.getJobState(jobId);
          if (state === 'completed' || state === 'failed') {
            const job = await queue.getJob(jobId);
            if (job === undefined) continue;
            let record: TrialRecord;
            try {
              record = state === 'completed' ? decodeTrialResult(job.returnvalue, jobId, id, parameters) : failedRecord(dir, config, id, parameters, job, failedReason(job));
            } catch (err) {
              record = failedRecord(dir, config, id, parameters, job, err instanceof Error ? err.message : String(err));
            }
            writeTrialRecord(dir, record);
            outstanding.delete(id);
            summary.ran++;
            if (record.status === 'failed') {
              summary.failed++;
              summary.failures.push({ id, error: record.error ?? 'no cause recorded' });
              progress.failed++;
            } else {
              if (record.status === 'diverged') summary.diverged++;
              progress.done++;
            }
            options.onTrialDone?.(record, progress.done + progress.failed, grid.length);
          } else if (state === 'unknown') {
            if (seen.has(id)) lost.push(id);
            await queue.add('trial', { study: jobStudy, trialId: id }, { jobId, attempts: TRIAL_ATTEMPTS, removeOnComplete: false, removeOnFail: false });
            seen.add(id);
            queued++;
          } else {
            seen.add(id);
            if (state === 'active') running++;
            else queued++;
          }
        }
        if (lost.length > 0) {
          summary.reEnqueued += lost.length;
          log(`study ${config.name}: ${lost.length} queued or running trial(s) vanished from Redis (restarted without persistence?); enqueued again: ${lost.join(', ')}`);
        }
        progress.running = running;
        progress.queued = queued;
        const text = JSON.stringify(progress);
        if (text !== lastProgress) options.onProgress?.({ ...progress });
        lastProgress = text;
      } catch (err) {
        log(`study ${config.name}: reading the queue failed (${err instanceof Error ? err.message : String(err)}); retrying`);
      }
      if (outstanding.size > 0) await sleep(pollMs, options.signal);
    }
  } finally {
    await queue.close().catch(() => undefined);
    await closeRedis(connection);
  }
  summary.interrupted = outstanding.size > 0;
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}
