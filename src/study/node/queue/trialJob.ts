import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { expandGrid, parseStudyConfig, type StudyConfig } from '../../grid.js';
import type { TrialParameters, TrialRecord } from '../../types.js';

/**
 * The contract between a study's coordinator and its queue workers: one BullMQ queue for every study,
 * one job per trial. A job carries the whole study configuration and the trial's id, so a worker needs
 * nothing from the coordinator's folder (synthetic data is regenerated from the configuration's seeds,
 * a dataset is read from the path it names).
 */
export const QUEUE_NAME = 'gendice-trials';

/** Attempts of a job whose trial process crashes (exits without a record): the first try and one retry. */
export const TRIAL_ATTEMPTS = 2;

export interface TrialJobData {
  study: StudyConfig;
  trialId: string;
}

/**
 * The study's key on the queue: its name and a hash of its whole configuration. Trial ids are unique
 * within one study only (they hash the trial's parameters, not the data), so job ids are
 * `<study key>/<trial id>`: a trial is never queued twice, and two studies never share a job.
 */
export function studyKey(study: StudyConfig): string {
  const slug = study.name.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 40);
  return `${slug}-${createHash('sha256').update(JSON.stringify(study)).digest('hex').slice(0, 10)}`;
}

export function trialJobId(study: StudyConfig, trialId: string): string {
  return `${studyKey(study)}/${trialId}`;
}

/**
 * The configuration as it travels: a relative dataset path is resolved against the coordinator's
 * working folder (workers run elsewhere), so a shared folder must be mounted at the same path on
 * every worker.
 */
export function studyForQueue(study: StudyConfig): StudyConfig {
  return 'dataset' in study.data ? { ...study, data: { ...study.data, dataset: resolve(study.data.dataset) } } : study;
}

/** Checks a job's data where it enters a worker: a valid study configuration and a trial of its grid. */
export function parseTrialJob(data: unknown, jobId: string | undefined): { study: StudyConfig; trialId: string; parameters: TrialParameters } {
  const raw = (typeof data === 'object' && data !== null ? data : {}) as Partial<Record<keyof TrialJobData, unknown>>;
  if (typeof raw.trialId !== 'string') throw new Error(`gendice worker: job ${String(jobId)} has no trial id (data ${JSON.stringify(data)})`);
  const study = parseStudyConfig(raw.study, `job ${String(jobId)}`);
  const trial = expandGrid(study).find((t) => t.id === raw.trialId);
  if (trial === undefined) throw new Error(`gendice worker: job ${String(jobId)}: trial '${raw.trialId}' is not in the grid of study '${study.name}'`);
  return { study, trialId: trial.id, parameters: trial.parameters };
}

/** Non-finite numbers as strings: JSON (BullMQ's encoding of a job's return value) would make NaN null. */
const NON_FINITE = new Map<string, number>([
  ['NaN', Number.NaN],
  ['Infinity', Number.POSITIVE_INFINITY],
  ['-Infinity', Number.NEGATIVE_INFINITY],
]);

/** A trial record as a job's return value: JSON text in which NaN and ±Infinity survive. */
export function encodeTrialResult(record: TrialRecord): string {
  return JSON.stringify(record, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
}

/** Reads a job's return value back; undefined when it is not the record of `trialId`. */
export function decodeTrialResult(value: unknown, trialId: string): TrialRecord | undefined {
  if (typeof value !== 'string') return undefined;
  let record: unknown;
  try {
    record = JSON.parse(value, (_k, v: unknown) => (typeof v === 'string' && NON_FINITE.has(v) ? NON_FINITE.get(v) : v));
  } catch {
    return undefined;
  }
  return typeof record === 'object' && record !== null && (record as { id?: unknown }).id === trialId ? (record as TrialRecord) : undefined;
}
