import { resolve } from 'node:path';
import { Queue, type Job } from 'bullmq';
import { expandGrid, type StudyConfig } from '../../grid.js';
import type { RunStudySummary } from '../../runner.js';
import { openStudy, readTrialRecord, writeTrialRecord } from '../../store.js';
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
  /** Log lines: Redis lost and back, trials enqueued again. */
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

/** The record of a trial whose job failed in the queue (its process crashed twice, or its worker vanished twice). */
function failedRecord(study: StudyConfig, id: string, parameters: TrialParameters, job: Job): TrialRecord {
  const reason = job.failedReason === 'job stalled more than allowable limit' ? `its worker died or lost Redis twice (BullMQ: ${job.failedReason})` : job.failedReason;
  return {
    ...parameters,
    id,
    scoreWindow: Math.min(study.scoreWindow, parameters.iterations),
    status: 'failed',
    score: null,
    foregroundFraction: null,
    validationDice: null,
    testDice: null,
    curve: [],
    seconds: job.finishedOn !== undefined && job.processedOn !== undefined ? (job.finishedOn - job.processedOn) / 1000 : 0,
    engine: '',
    ...(job.processedBy !== undefined ? { host: job.processedBy } : {}),
    error: `queue: trial failed after ${job.attemptsMade} attempt(s): ${reason}`,
    finishedAt: new Date(job.finishedOn ?? Date.now()).toISOString(),
  };
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
  const outstanding = new Map<string, TrialParameters>();
  const progress: QueueProgress = { total: grid.length, done: 0, running: 0, queued: 0, failed: 0 };
  for (const t of grid) {
    const record = readTrialRecord(dir, t.id);
    if (record === undefined) outstanding.set(t.id, t.parameters);
    else if (record.status === 'failed') progress.failed++;
    else progress.done++;
  }
  const summary: QueueStudySummary = { dir, total: grid.length, skipped: grid.length - outstanding.size, ran: 0, failed: 0, diverged: 0, reEnqueued: 0, interrupted: false, seconds: 0 };
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
            const decoded = state === 'completed' ? decodeTrialResult(job.returnvalue, id) : undefined;
            const record =
              decoded ??
              (state === 'completed'
                ? { ...failedRecord(config, id, parameters, job), error: `queue: job ${jobId} completed without a record of trial ${id}` }
                : failedRecord(config, id, parameters, job));
            writeTrialRecord(dir, record);
            outstanding.delete(id);
            summary.ran++;
            if (record.status === 'failed') {
              summary.failed++;
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
