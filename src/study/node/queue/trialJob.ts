import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { expandGrid, parseStudyConfig, type StudyConfig } from '../../grid.js';
import { parseWithSchema } from '../../../common/configSchema.js';
import { deserializeTrialRecord, serializeTrialRecord, trialRecordMismatch, trialRecordSchema } from '../../trialRecord.js';
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

/** A trial record as a job's return value: the store's JSON form, in which NaN and ±Infinity survive. */
export function encodeTrialResult(record: TrialRecord): string {
  return serializeTrialRecord(record);
}

/**
 * Reads a job's return value back as the record of `trialId` with `parameters`; throws naming the job
 * when it is not one (bad JSON, the schema, another trial's record).
 */
export function decodeTrialResult(value: unknown, jobId: string, trialId: string, parameters: TrialParameters): TrialRecord {
  if (typeof value !== 'string') throw new Error(`queue: job ${jobId} completed without a record (return value ${JSON.stringify(value)})`);
  let raw: unknown;
  try {
    raw = deserializeTrialRecord(value);
  } catch (err) {
    throw new Error(`queue: job ${jobId} returned no valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const record = parseWithSchema(trialRecordSchema, raw, `queue: job ${jobId}`, 'trial record') as TrialRecord;
  const mismatch = trialRecordMismatch(record, { id: trialId, parameters });
  if (mismatch !== undefined) throw new Error(`queue: job ${jobId}: ${mismatch}`);
  return record;
}
