import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../common/node/atomicWrite.js';
import { parseWithSchema } from '../../common/configSchema.js';
import { expandGrid, parseStudyConfig, type StudyConfig } from '../grid.js';
import { protocolMix, recordProtocol, STUDY_PROTOCOL } from '../protocol.js';
import { canonicalRecordText, deserializeTrialRecord, serializeTrialRecord, trialRecordMismatch, trialRecordSchema } from '../trialRecord.js';
import type { StudyResults, TrialParameters, TrialRecord } from '../types.js';

/**
 * The results store: plain JSON files in the study folder, chosen over SQLite because each trial is
 * written once by one worker (no concurrent updates to coordinate), a crash can at worst lose the
 * trial in progress (each file is written to a temporary name and renamed), the files are readable
 * and diffable, they travel with the report, and no native module is needed (npm here blocks the
 * install scripts better-sqlite3 relies on).
 *
 * DIR/study.json            the study configuration (a re-run must use the same one, or grow its grid)
 * DIR/trials/<id>/          the trial's training folder (config, log.jsonl, checkpoints, model)
 * DIR/trials/<id>/trial.json  its record, written last: present and valid = finished
 *
 * Nothing is trusted because it parses: every record is checked against its checksum (when it has one),
 * the schema of `TrialRecord` and its trial (id = folder = grid id, parameters = the grid's) before it
 * counts.
 */
export const STUDY_FILE = 'study.json';
export const TRIALS_DIR = 'trials';
export const TRIAL_FILE = 'trial.json';

/** The fields of a study configuration that define its grid; a reopened study may change only these. */
const GRID_FIELDS = ['seeds', 'networks', 'losses', 'learningRates'] as const;

export function trialDir(dir: string, id: string): string {
  return join(dir, TRIALS_DIR, id);
}

export function trialRecordPath(dir: string, id: string): string {
  return join(trialDir(dir, id), TRIAL_FILE);
}

/** What the store holds for one trial: no record, a valid one, or an invalid one with the reason. */
export type TrialRecordState =
  | { kind: 'missing'; path: string }
  | { kind: 'valid'; path: string; record: TrialRecord }
  | { kind: 'invalid'; path: string; problem: string };

/** A record that exists but cannot be trusted; `message` names the file and every problem. */
export class InvalidTrialRecordError extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(problem);
    this.name = 'InvalidTrialRecordError';
  }
}

/**
 * Reads and checks one trial's record: JSON, the `TrialRecord` schema (every field, its type, the
 * status, finite numbers where a number must be finite, the status-dependent fields), the id against
 * the folder, and, given the grid's `parameters` for that id, every parameter.
 */
export function inspectTrialRecord(dir: string, id: string, parameters?: TrialParameters): TrialRecordState {
  const path = trialRecordPath(dir, id);
  if (!existsSync(path)) return { kind: 'missing', path };
  let raw: unknown;
  try {
    raw = deserializeTrialRecord(readFileSync(path, 'utf8'));
  } catch (err) {
    return { kind: 'invalid', path, problem: `${path}: not valid JSON (${err instanceof Error ? err.message : String(err)})` };
  }
  const problems: string[] = [];
  if (raw !== null && typeof raw === 'object' && typeof (raw as { checksum?: unknown }).checksum === 'string') {
    const stored = (raw as { checksum: string }).checksum;
    const computed = recordChecksum(raw);
    if (stored !== computed) problems.push(`${path}: its content does not match its checksum (stored ${stored}, computed ${computed}): the file was damaged or edited`);
  }
  let record: TrialRecord | undefined;
  try {
    record = parseWithSchema(trialRecordSchema, raw, path, 'trial record') as TrialRecord;
  } catch (err) {
    problems.push(err instanceof Error ? err.message : String(err));
  }
  const mismatch = record && trialRecordMismatch(record, { id, ...(parameters !== undefined ? { parameters } : {}) });
  if (mismatch !== undefined) problems.push(`${path}: ${mismatch}`);
  if (problems.length > 0 || record === undefined) return { kind: 'invalid', path, problem: problems.join('\n') };
  return { kind: 'valid', path, record };
}

/** `sha256:<hex>` of a record's fields other than `checksum`. */
export function recordChecksum(record: object): string {
  return `sha256:${createHash('sha256').update(canonicalRecordText(record)).digest('hex')}`;
}

/** The trial's record, undefined when there is none; throws `InvalidTrialRecordError` for a bad one. */
export function readTrialRecord(dir: string, id: string, parameters?: TrialParameters): TrialRecord | undefined {
  const state = inspectTrialRecord(dir, id, parameters);
  if (state.kind === 'invalid') throw new InvalidTrialRecordError(state.path, state.problem);
  return state.kind === 'valid' ? state.record : undefined;
}

/**
 * Moves a record out of the way, keeping it: `trial.json` becomes `trial.json.<why>-<time>` in the
 * same folder. Returns the new path.
 */
export function setTrialRecordAside(path: string, why: 'rejected' | 'failed'): string {
  const aside = `${path}.${why}-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  renameSync(path, aside);
  return aside;
}

/**
 * Empties a trial's folder for a fresh start (training files, checkpoints, model), keeping the records
 * set aside by `setTrialRecordAside`.
 */
export function clearTrialFolder(dir: string, id: string): void {
  const folder = trialDir(dir, id);
  if (!existsSync(folder)) return;
  for (const name of readdirSync(folder)) {
    if (/^trial\.json\.(rejected|failed)-/.test(name)) continue;
    rmSync(join(folder, name), { recursive: true, force: true });
  }
}

/**
 * Writes a trial's record atomically, with its `checksum`; a record that would not pass
 * `inspectTrialRecord` is refused.
 */
export function writeTrialRecord(dir: string, record: TrialRecord): void {
  const path = trialRecordPath(dir, record.id);
  parseWithSchema(trialRecordSchema, record, `writeTrialRecord: ${path}`, 'trial record');
  const { checksum: _old, ...fields } = record;
  writeFileAtomic(path, serializeTrialRecord({ ...fields, checksum: recordChecksum(fields) }));
}

/** The configuration stored in a study folder; errors name the file and the problem. */
export function readStudyConfigFile(dir: string, caller = 'readStudy'): StudyConfig {
  const path = join(dir, STUDY_FILE);
  if (!existsSync(path)) throw new Error(`${caller}: ${dir} is not a study folder (no ${STUDY_FILE})`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${caller}: ${path} is damaged: not valid JSON (${err instanceof Error ? err.message : String(err)}); restore it from a copy, or start the study in another folder`);
  }
  return parseStudyConfig(raw, `${caller}: ${path}`);
}

function sameExceptGrid(a: StudyConfig, b: StudyConfig): boolean {
  const strip = (c: StudyConfig): Record<string, unknown> => Object.fromEntries(Object.entries(c).filter(([k]) => !(GRID_FIELDS as readonly string[]).includes(k)));
  return JSON.stringify(strip(a)) === JSON.stringify(strip(b));
}

/**
 * Creates or reopens a study folder. Reopening with another configuration is an error, except one that
 * differs only in its grid (seeds, networks, losses, learning rates): trial ids hash every trial
 * parameter, so the records of trials both grids hold stay valid, and `study.json` takes the new grid.
 * A damaged `study.json` is an error naming it.
 */
export function openStudy(dir: string, config: StudyConfig): void {
  mkdirSync(join(dir, TRIALS_DIR), { recursive: true });
  const path = join(dir, STUDY_FILE);
  const text = `${JSON.stringify(config, null, 2)}\n`;
  if (existsSync(path)) {
    if (readFileSync(path, 'utf8') === text) return;
    const existing = readStudyConfigFile(dir, 'study');
    if (existing.name !== config.name || !sameExceptGrid(existing, config)) {
      throw new Error(`study: ${dir} already holds a different study ('${existing.name}'); use another --out folder or the same configuration (only seeds, networks, losses and learning rates may change)`);
    }
  }
  writeFileAtomic(path, text);
}

/**
 * The protocol problem of a study (see `protocol.ts`), or undefined: one protocol version must fit
 * every valid record that measured something (failed ones are re-run) and every trial still to run
 * (measured under `STUDY_PROTOCOL`).
 */
export function studyProtocolMix(
  dir: string,
  trials: ReadonlyArray<{ id: string; parameters: TrialParameters; record: TrialRecord | undefined }>,
  toRun: ReadonlyArray<{ id: string; parameters: TrialParameters }> = [],
): string | undefined {
  return protocolMix([
    ...trials
      .filter((t) => t.record !== undefined && t.record.status !== 'failed')
      .map((t) => ({ name: trialRecordPath(dir, t.id), parameters: t.parameters, version: recordProtocol(t.record!) })),
    ...toRun.map((t) => ({ name: `${t.id} (to run under protocol ${STUDY_PROTOCOL})`, parameters: t.parameters, version: STUDY_PROTOCOL })),
  ]);
}

/** A trial of a study's grid with what its folder holds: `record` is the trusted record, if any. */
export interface StudyTrial {
  id: string;
  parameters: TrialParameters;
  state: TrialRecordState;
  record: TrialRecord | undefined;
}

/**
 * Every trial of `grid` with its stored state, and those still to run: the ones without a valid record
 * and those whose record says they failed (failed trials run again). Throws, prefixed by `who`, when the
 * stored records and the trials to run would mix protocol versions, unless `allowMixedProtocols`.
 * Shared by the local runner and the queue's coordinator, so that both apply the store's rules alike.
 */
export function studyTrials(
  dir: string,
  grid: ReadonlyArray<{ id: string; parameters: TrialParameters }>,
  options: { who: string; allowMixedProtocols?: boolean | undefined; override: string },
): { trials: StudyTrial[]; pending: StudyTrial[] } {
  const trials = grid.map((t) => {
    const state = inspectTrialRecord(dir, t.id, t.parameters);
    return { id: t.id, parameters: t.parameters, state, record: state.kind === 'valid' && state.record.status !== 'failed' ? state.record : undefined };
  });
  const pending = trials.filter((t) => t.record === undefined);
  if (!options.allowMixedProtocols) {
    const mix = studyProtocolMix(dir, trials, pending);
    if (mix !== undefined) throw new Error(`${options.who}: ${dir}: ${mix}\n(${options.override} runs it anyway)`);
  }
  return { trials, pending };
}

export interface ReadStudyOptions {
  /** Read records of different protocol versions together (`--allow-mixed-protocols`). Default false: an error naming them. */
  allowMixedProtocols?: boolean;
  /** Called for each invalid record (with the problem, which names the file); the trial reads as not run. */
  onInvalidRecord?: (path: string, problem: string) => void;
}

/**
 * Reads a study folder: its configuration and every trial of its grid, with the valid records written
 * so far. An invalid record is reported through `onInvalidRecord` and left where it is (the next
 * `runStudy` sets it aside and re-runs the trial); its trial carries the `problem`.
 */
export function readStudy(dir: string, options: ReadStudyOptions = {}): StudyResults & { config: StudyConfig } {
  const config = readStudyConfigFile(dir);
  const data =
    'synthetic' in config.data
      ? `synthetic ${config.data.synthetic.dims}D phantoms (${config.data.synthetic.cases} cases, ${(config.data.synthetic.foregroundFraction * 100).toPrecision(2)}% foreground per image)`
      : `dataset ${config.data.dataset}`;
  const trials = expandGrid(config).map((t): StudyResults['trials'][number] => {
    const state = inspectTrialRecord(dir, t.id, t.parameters);
    if (state.kind !== 'invalid') return { ...t, record: state.kind === 'valid' ? state.record : undefined };
    options.onInvalidRecord?.(state.path, state.problem);
    return { ...t, record: undefined, problem: state.problem };
  });
  if (!options.allowMixedProtocols) {
    const mix = studyProtocolMix(dir, trials);
    if (mix !== undefined) throw new Error(`readStudy: ${dir}: ${mix}\n(--allow-mixed-protocols, or the option allowMixedProtocols, reads them together)`);
  }
  return { name: config.name, data, config, trials };
}
