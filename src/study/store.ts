import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../common/atomicWrite.js';
import { expandGrid, parseStudyConfig, type StudyConfig } from './grid.js';
import type { StudyResults, TrialRecord } from './types.js';

/**
 * The results store: plain JSON files in the study folder, chosen over SQLite because each trial is
 * written once by one worker (no concurrent updates to coordinate), a crash can at worst lose the
 * trial in progress (each file is written to a temporary name and renamed), the files are readable
 * and diffable, they travel with the report, and no native module is needed (npm here blocks the
 * install scripts better-sqlite3 relies on).
 *
 * DIR/study.json            the study configuration (a re-run must use the same one)
 * DIR/trials/<id>/          the trial's training folder (config, log.jsonl, checkpoints, model)
 * DIR/trials/<id>/trial.json  its record, written last: present = finished
 */
export const STUDY_FILE = 'study.json';
export const TRIALS_DIR = 'trials';
export const TRIAL_FILE = 'trial.json';

export function trialDir(dir: string, id: string): string {
  return join(dir, TRIALS_DIR, id);
}

/** Creates or reopens a study folder; reopening with a different configuration is an error. */
export function openStudy(dir: string, config: StudyConfig): void {
  mkdirSync(join(dir, TRIALS_DIR), { recursive: true });
  const path = join(dir, STUDY_FILE);
  const text = `${JSON.stringify(config, null, 2)}\n`;
  if (existsSync(path)) {
    const existing = readFileSync(path, 'utf8');
    if (existing !== text) {
      throw new Error(`study: ${dir} already holds a different study ('${(JSON.parse(existing) as { name?: string }).name ?? '?'}'); use another --out folder or the same configuration`);
    }
    return;
  }
  writeFileAtomic(path, text);
}

export function readTrialRecord(dir: string, id: string): TrialRecord | undefined {
  const path = join(trialDir(dir, id), TRIAL_FILE);
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8'), (_k, v: unknown) => (v === 'NaN' ? Number.NaN : v)) as TrialRecord;
  } catch (err) {
    throw new Error(`readStudy: ${path} is not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}

export function writeTrialRecord(dir: string, record: TrialRecord): void {
  writeFileAtomic(
    join(trialDir(dir, record.id), TRIAL_FILE),
    `${JSON.stringify(record, (_k, v: unknown) => (typeof v === 'number' && Number.isNaN(v) ? 'NaN' : v), 2)}\n`,
  );
}

/** Reads a study folder: its configuration and every trial of its grid, with the records written so far. */
export function readStudy(dir: string): StudyResults & { config: StudyConfig } {
  const path = join(dir, STUDY_FILE);
  if (!existsSync(path)) throw new Error(`readStudy: ${dir} is not a study folder (no ${STUDY_FILE})`);
  const config = parseStudyConfig(JSON.parse(readFileSync(path, 'utf8')), path);
  const data =
    'synthetic' in config.data
      ? `synthetic ${config.data.synthetic.dims}D phantoms (${config.data.synthetic.cases} cases, ${(config.data.synthetic.foregroundFraction * 100).toPrecision(2)}% foreground per image)`
      : `dataset ${config.data.dataset}`;
  return {
    name: config.name,
    data,
    config,
    trials: expandGrid(config).map((t) => ({ ...t, record: readTrialRecord(dir, t.id) })),
  };
}
