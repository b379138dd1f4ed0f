import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expandGrid, parseStudyConfig, type StudyConfig, type StudyConfigInput } from '../../src/study/grid.js';
import { getPreset } from '../../src/study/presets.js';
import { readStudyConfig } from '../../src/study/node/studyConfigFile.js';
import { protocolRange, STUDY_PROTOCOL } from '../../src/study/protocol.js';
import { runStudy } from '../../src/study/node/runner.js';
import {
  InvalidTrialRecordError,
  inspectTrialRecord,
  openStudy,
  readStudy,
  readTrialRecord,
  STUDY_FILE,
  trialRecordPath,
  writeTrialRecord,
} from '../../src/study/node/store.js';
import type { TrialParameters, TrialRecord } from '../../src/study/types.js';
import { gendice } from '../cli/run.js';

const root = mkdtempSync(join(tmpdir(), 'gendice-store-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let folders = 0;

const tinyInput = (over: Partial<StudyConfigInput> = {}): StudyConfigInput => ({
  name: 'tiny',
  data: { synthetic: { dims: 2, cases: 4, foregroundFraction: 0.01 } },
  networks: [{ name: 'unet2d', options: { depth: 2, baseFilters: 4 }, patches: [{ patchSize: [16, 16], batchSize: 2 }] }],
  losses: [{ name: 'gdl' }, { name: 'dl2' }],
  learningRates: [1e-3],
  seeds: [1],
  iterations: 10,
  scoreWindow: 5,
  ...over,
});

function doneRecord(id: string, p: TrialParameters, over: Partial<TrialRecord> = {}): TrialRecord {
  return {
    ...p,
    id,
    protocol: STUDY_PROTOCOL,
    status: 'done',
    score: 0.5,
    scoreWindow: 5,
    foregroundFraction: { mean: 0.02, median: 0.01 },
    validationDice: 0.4,
    testDice: [0.3, Number.NaN],
    curve: [5, 10].map((iteration) => ({ iteration, loss: 0.5, dice: iteration === 5 ? Number.NaN : 0.5 })),
    seconds: 1.5,
    engine: 'native',
    finishedAt: '2026-12-01T00:00:00.000Z',
    ...over,
  };
}

/** A study folder whose every trial has a valid record. */
function studyFolder(input: StudyConfigInput = tinyInput()): { dir: string; config: StudyConfig; grid: ReturnType<typeof expandGrid> } {
  const dir = join(root, `study-${++folders}`);
  const config = parseStudyConfig(input);
  openStudy(dir, config);
  const grid = expandGrid(config);
  for (const t of grid) writeTrialRecord(dir, doneRecord(t.id, t.parameters));
  return { dir, config, grid };
}

describe('trial records: nothing is trusted because it parses', () => {
  const { dir, grid } = studyFolder();
  const [a, b] = [grid[0]!, grid[1]!];
  const good = readFileSync(trialRecordPath(dir, a.id), 'utf8');
  const edit = (f: (r: Record<string, unknown>) => void): string => {
    const r = JSON.parse(good) as Record<string, unknown>;
    f(r);
    return JSON.stringify(r);
  };

  it('a valid record reads back, NaN included (written as "NaN")', () => {
    expect(good).toContain('"NaN"');
    const r = readTrialRecord(dir, a.id, a.parameters)!;
    expect(r.curve[0]!.dice).toBeNaN();
    expect(r.testDice![1]).toBeNaN();
    expect(r.protocol).toBe(STUDY_PROTOCOL);
    expect(inspectTrialRecord(dir, 'no-such-trial').kind).toBe('missing');
  });

  it.each<[string, string, RegExp]>([
    ['{}', '{}', /invalid trial record\n {2}network: .*\n[^]*status: /],
    ['[]', '[]', /invalid trial record\n {2}\(root\): .*expected object/],
    ['null', 'null', /invalid trial record\n {2}\(root\): .*expected object/],
    ['an empty file', '', /not valid JSON \(Unexpected end of JSON input\)/],
    ['truncated JSON', good.slice(0, 200), /not valid JSON/],
    ['a score of "high"', edit((r) => (r.score = 'high')), /score: .*; got 'high'/],
    ['a status of "exploded"', edit((r) => (r.status = 'exploded')), /status: must be one of .*; got 'exploded'/],
    ['a NaN score', edit((r) => (r.score = 'NaN')), /score: /],
    ['an infinite foreground fraction', edit((r) => (r.foregroundFraction = { mean: 'Infinity', median: 0.1 })), /foregroundFraction\.mean: /],
    ['a score above 1', edit((r) => (r.score = 1.5)), /score: .*; got 1\.5/],
    ['a diverged trial with a score', edit((r) => Object.assign(r, { status: 'diverged', error: 'NaN loss' })), /score: must be 0 when status is 'diverged'/],
    ['a failed trial without a cause', edit((r) => Object.assign(r, { status: 'failed', score: null })), /error: must say why when status is 'failed'/],
    ['a curve going backwards', edit((r) => (r.curve = [{ iteration: 10, loss: 1, dice: 0 }, { iteration: 5, loss: 1, dice: 0 }])), /curve: iterations must increase within 1\.\.10; point 1 is at 5 after 10/],
    ['an unknown field', edit((r) => (r.extra = 1)), /extra: unknown key; known keys: network, /],
    ['a protocol from the future', edit((r) => (r.protocol = STUDY_PROTOCOL + 1)), /protocol: must be a protocol version this gendice knows/],
    ['another trial\'s id', readFileSync(trialRecordPath(dir, b.id), 'utf8'), new RegExp(`id is '${b.id}', not its folder's '${a.id}'`)],
    ['parameters other than the grid gives its id', edit((r) => (r.learningRate = 0.01)), /parameters differ from the grid's for this id: learningRate 0\.01 \(grid: 0\.001\)/],
    ['a seed other than the grid gives its id', edit((r) => (r.seed = 7)), /seed 7 \(grid: 1\)/],
  ])('%s is invalid, named with its path', (_name, text, problem) => {
    const path = trialRecordPath(dir, a.id);
    writeFileSync(path, text);
    const state = inspectTrialRecord(dir, a.id, a.parameters);
    expect(state.kind).toBe('invalid');
    const message = state.kind === 'invalid' ? state.problem : '';
    expect(message.startsWith(`${path}: `)).toBe(true);
    expect(message).toMatch(problem);
    expect(() => readTrialRecord(dir, a.id, a.parameters)).toThrow(InvalidTrialRecordError);
    // readStudy: the trial reads as not run, carries the problem, and the caller hears of it.
    const heard: string[] = [];
    const study = readStudy(dir, { onInvalidRecord: (p) => heard.push(p) });
    expect(heard).toEqual([path]);
    expect(study.trials[0]!.record).toBeUndefined();
    expect(study.trials[0]!.problem).toBe(message);
    expect(study.trials[1]!.record?.status).toBe('done');
    writeFileSync(path, good);
  });

  it('a record whose content no longer matches its checksum is invalid (one digit changed); one without a checksum predates it', () => {
    const path = trialRecordPath(dir, a.id);
    expect(good).toMatch(/"checksum": "sha256:[0-9a-f]{64}"\n\}\n$/);
    writeFileSync(path, good.replace('"score": 0.5', '"score": 0.6'));
    const state = inspectTrialRecord(dir, a.id, a.parameters);
    expect(state.kind === 'invalid' && state.problem).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: its content does not match its checksum \\(stored sha256:[0-9a-f]{64}, computed sha256:[0-9a-f]{64}\\): the file was damaged or edited$`));
    writeFileSync(path, edit((r) => delete r.checksum));
    expect(readTrialRecord(dir, a.id, a.parameters)?.score).toBe(0.5);
    writeFileSync(path, good);
  });

  it('writeTrialRecord refuses a record that would not read back', () => {
    expect(() => writeTrialRecord(dir, doneRecord(a.id, a.parameters, { score: Number.POSITIVE_INFINITY }))).toThrow(/writeTrialRecord: .*trial\.json: invalid trial record\n {2}score: /);
    expect(readFileSync(trialRecordPath(dir, a.id), 'utf8')).toBe(good);
  });
});

describe('study.json', () => {
  it('a damaged study.json is an error naming the file and the problem', async () => {
    const { dir, config } = studyFolder();
    const path = join(dir, STUDY_FILE);
    const text = readFileSync(path, 'utf8');
    writeFileSync(path, text.slice(0, 40));
    const damaged = new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is damaged: not valid JSON \\(.*\\)`);
    expect(() => readStudy(dir)).toThrow(damaged);
    expect(() => openStudy(dir, config)).toThrow(damaged);
    await expect(runStudy(config, dir)).rejects.toThrow(damaged);
    writeFileSync(path, JSON.stringify({ ...JSON.parse(text), iterations: 'many' }));
    expect(() => readStudy(dir)).toThrow(/study\.json: invalid study configuration\n {2}iterations: /);
  });

  it('a reopened study may grow its grid (seeds, losses, ...), never change anything else', () => {
    const { dir, grid } = studyFolder();
    const grown = parseStudyConfig(tinyInput({ seeds: [1, 2] }));
    openStudy(dir, grown);
    const study = readStudy(dir);
    expect(study.config.seeds).toEqual([1, 2]);
    expect(study.trials).toHaveLength(2 * grid.length);
    expect(study.trials.filter((t) => t.record !== undefined).map((t) => t.id)).toEqual(grid.map((t) => t.id));
    expect(() => openStudy(dir, parseStudyConfig(tinyInput({ seeds: [1, 2], scoreWindow: 4 })))).toThrow(/already holds a different study \('tiny'\)/);
    expect(() => openStudy(dir, parseStudyConfig(tinyInput({ seeds: [1, 2], name: 'other' })))).toThrow(/already holds a different study \('tiny'\)/);
  });
});

describe('protocol versions', () => {
  const twoPath: StudyConfigInput = tinyInput({
    data: { synthetic: { dims: 2, cases: 4, foregroundFraction: 0.01 } },
    networks: [
      { name: 'unet2d', options: { depth: 2, baseFilters: 4 }, patches: [{ patchSize: [16, 16], batchSize: 2 }] },
      { name: 'twoPathCnn', options: { localFilters: 4, globalFilters: 4 }, patches: [{ patchSize: [33, 33], batchSize: 2 }] },
    ],
    losses: [{ name: 'gdl' }],
  });

  it('version 2 (output-region sampling) changes nothing for a network whose output equals its input', () => {
    const [unet, tpc] = expandGrid(parseStudyConfig(twoPath));
    expect(protocolRange(unet!.parameters, 1)).toEqual([1, 2]);
    expect(protocolRange(unet!.parameters, 2)).toEqual([1, 2]);
    expect(protocolRange(tpc!.parameters, 1)).toEqual([1, 1]);
    expect(protocolRange(tpc!.parameters, 2)).toEqual([2, 2]);
  });

  it('records that fit no single version are refused by readStudy and runStudy, naming them, unless allowed', async () => {
    const { dir, config, grid } = studyFolder(twoPath);
    const [unet, tpc] = grid;
    const { protocol: _, ...unversioned } = doneRecord(tpc!.id, tpc!.parameters);
    writeTrialRecord(dir, unversioned);
    // A version-1 TwoPathCNN record beside a version-2 U-Net one: version 1 fits both.
    expect(readStudy(dir).trials.every((t) => t.record !== undefined)).toBe(true);
    // Growing the grid adds TwoPathCNN trials to run under version 2: no version fits.
    const grown = parseStudyConfig({ ...twoPath, seeds: [1, 2] });
    const mix = new RegExp(`no protocol version fits every trial[^]*1 valid only under protocol 1:\\n {4}${trialRecordPath(dir, tpc!.id).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n {2}1 valid only under protocol 2:\\n {4}twoPathCnn-.*-s2-.* \\(to run under protocol 2\\)`);
    await expect(runStudy(grown, dir)).rejects.toThrow(mix);
    expect(readdirSync(join(dir, 'trials')).sort()).toEqual([unet!.id, tpc!.id].sort()); // nothing ran
    // Two records that fit no single version: readStudy (and so `gendice report`) refuses them too.
    const other = join(root, `study-${++folders}`);
    cpSync(dir, other, { recursive: true });
    openStudy(other, grown);
    const tpc2 = expandGrid(grown).find((t) => t.parameters.network === 'twoPathCnn' && t.parameters.seed === 2)!;
    writeTrialRecord(other, doneRecord(tpc2.id, tpc2.parameters));
    expect(() => readStudy(other)).toThrow(/readStudy: .*no protocol version fits every trial[^]*--allow-mixed-protocols/);
    expect(readStudy(other, { allowMixedProtocols: true }).trials.filter((t) => t.record !== undefined)).toHaveLength(3);
    const cli = gendice(['report', other, '--markdown']);
    expect(cli.status).toBe(1);
    expect(cli.stderr).toMatch(/no protocol version fits every trial/);
    expect(cli.stderr).toContain(trialRecordPath(other, tpc!.id));
  });

  it.each([
    ['quick', 'quick', undefined],
    ['paper-2d', 'paper-2d', undefined],
    // The preset runs one seed; the committed study added seeds 2 and 3 through the Redis queue.
    ['paper-3d-small', 'paper-3d-small', [1, 2, 3]],
  ])('the committed %s records are all valid and fit one protocol version', (name, preset, seeds) => {
    const dir = join(import.meta.dirname, '..', '..', 'docs', 'results', name);
    const invalid: string[] = [];
    const study = readStudy(dir, { onInvalidRecord: (_p, problem) => invalid.push(problem) });
    expect(invalid).toEqual([]);
    expect(study.trials.every((t) => t.record?.status === 'done' && t.record.checksum !== undefined)).toBe(true);
    expect(study.config).toEqual(seeds === undefined ? getPreset(preset) : { ...getPreset(preset), seeds });
  });

  it('paper-3d-small holds seeds 1-3 under one protocol, as its committed three-seed configuration says (paper-2d TwoPathCNN re-run, too)', () => {
    const dir = join(import.meta.dirname, '..', '..', 'docs', 'results', 'paper-3d-small');
    const study = readStudy(dir);
    expect(study.config).toEqual(readStudyConfig(join(dir, '..', 'paper-3d-small.seeds-1-3.json')));
    expect(study.trials).toHaveLength(108);
    expect(study.trials.every((t) => t.record?.protocol === 2)).toBe(true);
    // Seeds 2 and 3 ran through the queue, whose workers add their host.
    expect(study.trials.filter((t) => t.parameters.seed > 1).every((t) => typeof t.record?.host === 'string')).toBe(true);
    const p2d = readStudy(join(import.meta.dirname, '..', '..', 'docs', 'results', 'paper-2d'));
    expect(p2d.trials.filter((t) => t.record?.protocol === 2).every((t) => t.parameters.network === 'twoPathCnn')).toBe(true);
    expect(p2d.trials.filter((t) => t.record?.protocol === 2)).toHaveLength(108);
  });
});

describe('gendice report with a bad record', () => {
  it('does not crash: it names the record on stderr and shows its trial as pending', () => {
    const { dir, grid } = studyFolder();
    const path = trialRecordPath(dir, grid[0]!.id);
    writeFileSync(path, '{}');
    mkdirSync(join(dir, 'report'), { recursive: true });
    const r = gendice(['report', dir, '--markdown']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(`gendice report: ${path}: invalid trial record`);
    expect(r.stderr).toMatch(/not trusted: its trial is shown as pending/);
    expect(r.stderr).toMatch(/2 trials in 'tiny' \(1 not run yet, 1 of them with an invalid record, shown as pending\)/);
    expect(existsSync(join(dir, 'report', 'index.html'))).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe('{}'); // the report reads, it never moves records
  });
});
