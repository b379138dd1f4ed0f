import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expandGrid, parseStudyConfig } from '../../src/study/grid.js';
import { checkDatasetReadable } from '../../src/study/node/queue/queueWorker.js';
import { decodeTrialResult, encodeTrialResult, parseTrialJob, studyForQueue, studyKey, trialJobId } from '../../src/study/node/queue/trialJob.js';
import type { TrialRecord } from '../../src/study/types.js';

const study = parseStudyConfig({
  name: 'job test',
  data: { synthetic: { dims: 2, cases: 4, size: 16, foregroundFraction: 0.05 } },
  networks: [{ name: 'unet2d', options: { depth: 2, baseFilters: 4 }, patches: [{ patchSize: [16, 16], batchSize: 1 }] }],
  losses: [{ name: 'gdl' }],
  learningRates: [0.01],
  seeds: [1],
  iterations: 5,
});
const trial = expandGrid(study)[0]!;
const dir = mkdtempSync(join(tmpdir(), 'gendice-queuejob-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('trial jobs', () => {
  it('job ids: the study key (name and a hash of the whole configuration) and the trial id', () => {
    expect(trialJobId(study, trial.id)).toMatch(new RegExp(`^job-test-[0-9a-f]{10}/${trial.id}$`));
    const otherData = parseStudyConfig({ ...study, data: { synthetic: { ...(study.data as { synthetic: object }).synthetic, cases: 5 } } });
    expect(expandGrid(otherData)[0]!.id).toBe(trial.id);
    expect(studyKey(otherData)).not.toBe(studyKey(study));
    expect(trialJobId(study, trial.id)).not.toContain(':');
  });

  it('a record travels with NaN intact, and only as the valid record of its own trial', () => {
    const record: TrialRecord = {
      ...trial.parameters,
      id: trial.id,
      status: 'done',
      score: 0.5,
      scoreWindow: 5,
      foregroundFraction: { mean: 0.1, median: 0.1 },
      validationDice: null,
      testDice: [Number.NaN, 0.7],
      curve: [{ iteration: 1, loss: Number.NaN, dice: Number.NaN }],
      seconds: 1,
      engine: 'cpu',
      host: 'node3',
      finishedAt: new Date(0).toISOString(),
    };
    const back = decodeTrialResult(encodeTrialResult(record), 'j1', trial.id, trial.parameters);
    expect(back.testDice![0]).toBeNaN();
    expect(back.curve[0]!.loss).toBeNaN();
    expect(back).toMatchObject({ host: 'node3', score: 0.5 });
    expect(() => decodeTrialResult(encodeTrialResult(record), 'j1', 'another-trial', trial.parameters)).toThrow(/^queue: job j1: id is '.*', not its folder's 'another-trial'/);
    expect(() => decodeTrialResult({ id: trial.id }, 'j1', trial.id, trial.parameters)).toThrow('queue: job j1 completed without a record (return value {"id":"' + trial.id + '"})');
    expect(() => decodeTrialResult('{not json', 'j1', trial.id, trial.parameters)).toThrow(/^queue: job j1 returned no valid JSON/);
    expect(() => decodeTrialResult(encodeTrialResult({ ...record, score: 2 }), 'j1', trial.id, trial.parameters)).toThrow(/score/);
  });

  it('job data is checked where it enters a worker', () => {
    expect(parseTrialJob({ study, trialId: trial.id }, 'j1')).toMatchObject({ trialId: trial.id, parameters: trial.parameters });
    expect(() => parseTrialJob({ study }, 'j1')).toThrow(/^gendice worker: job j1 has no trial id/);
    expect(() => parseTrialJob({ study, trialId: 'unet2d-gdl-nope' }, 'j1')).toThrow("gendice worker: job j1: trial 'unet2d-gdl-nope' is not in the grid of study 'job test'");
    expect(() => parseTrialJob({ study: { ...study, iterations: -1 }, trialId: trial.id }, 'j1')).toThrow(/iterations/);
  });

  it('a relative dataset path is resolved against the coordinator folder; a dataset missing on the worker is named with the host', () => {
    const withDataset = parseStudyConfig({ ...study, data: { dataset: 'data/Task01' } });
    const sent = studyForQueue(withDataset);
    expect((sent.data as { dataset: string }).dataset).toBe(resolve('data/Task01'));
    expect(studyForQueue(study)).toBe(study);
    expect(() => checkDatasetReadable(sent)).toThrow(`gendice worker: dataset ${resolve('data/Task01')} is not readable on host ${hostname()} (ENOENT); every worker needs it at that path (a shared folder)`);
    const file = join(dir, 'file');
    writeFileSync(file, 'x');
    expect(() => checkDatasetReadable(parseStudyConfig({ ...study, data: { dataset: file } }))).toThrow(/is not readable on host .* \(not a folder\)/);
    expect(() => checkDatasetReadable(parseStudyConfig({ ...study, data: { dataset: dir } }))).not.toThrow();
    expect(() => checkDatasetReadable(study)).not.toThrow();
  });
});
