import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gendice } from './run.js';

// A wrong configuration must fail at the door: within seconds, naming the field, writing nothing
// (before, a study recorded every trial of a misspelt option as failed and exited 0).
const dir = mkdtempSync(join(tmpdir(), 'gendice-door-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const training = {
  network: { name: 'unet2d', options: { depth: 2, baseFilters: 4 } },
  loss: { name: 'gdl' },
  optimizer: { learningRate: 1e-3 },
  iterations: 2,
  batchSize: 1,
  patchSize: [16, 16],
  data: { synthetic: { dims: 2, cases: 4, size: 32, foregroundFraction: 0.02 } },
};

const study = {
  name: 'door',
  data: { synthetic: { dims: 2, cases: 4, size: 32, foregroundFraction: 0.02 } },
  networks: [{ name: 'unet2d', options: { depth: 2, baseFilters: 4 }, patches: [{ patchSize: [16, 16], batchSize: 1 }] }],
  losses: [{ name: 'gdl' }],
  learningRates: [1e-3],
  seeds: [1],
  iterations: 2,
};

const mistakes: Array<[string, (c: typeof training) => object, (s: typeof study) => object, RegExp, RegExp]> = [
  [
    'a misspelt loss option',
    (c) => ({ ...c, loss: { name: 'gdl', options: { weightType: 'squared' } } }),
    (s) => ({ ...s, losses: [{ name: 'gdl', options: { weightType: 'squared' } }] }),
    /loss\.options\.weightType: must be one of 'square', 'simple', 'uniform'; got 'squared' \(did you mean 'square'\?\)/,
    /losses\.0\.options\.weightType: must be one of 'square', 'simple', 'uniform'; got 'squared' \(did you mean 'square'\?\)/,
  ],
  [
    'an unknown network option',
    (c) => ({ ...c, network: { name: 'unet2d', options: { dpeth: 2 } } }),
    (s) => ({ ...s, networks: [{ ...s.networks[0]!, options: { dpeth: 2 } }] }),
    /network\.options\.dpeth: unknown option \(did you mean 'depth'\?\)/,
    /networks\.0\.options\.dpeth: unknown option \(did you mean 'depth'\?\)/,
  ],
  [
    'a patch the network cannot take',
    (c) => ({ ...c, patchSize: [18, 16] }),
    (s) => ({ ...s, networks: [{ ...s.networks[0]!, patches: [{ patchSize: [18, 16], batchSize: 1 }] }] }),
    /patchSize: unet2d: input size 18 is not divisible by 2\^2 = 4/,
    /networks\.0\.patches\.0\.patchSize: unet2d: input size 18 is not divisible by 2\^2 = 4/,
  ],
];

describe('a wrong configuration fails at the door, naming the field and writing nothing', () => {
  it.each(mistakes)('%s', (name, trainChange, studyChange, trainMessage, studyMessage) => {
    const slug = name.replace(/\W+/g, '-');
    const trainConfig = join(dir, `${slug}-train.json`);
    writeFileSync(trainConfig, JSON.stringify(trainChange(training)));
    const trainOut = join(dir, `${slug}-train-out`);
    let started = performance.now();
    const t = gendice(['train', '--config', trainConfig, '--out', trainOut]);
    const trainSeconds = (performance.now() - started) / 1000;
    expect(t.status, t.stderr).not.toBe(0);
    expect(t.stderr).toMatch(/-train\.json: invalid training configuration/);
    expect(t.stderr).toMatch(trainMessage);
    expect(t.stdout).toBe('');
    expect(existsSync(trainOut)).toBe(false);

    const studyConfig = join(dir, `${slug}-study.json`);
    writeFileSync(studyConfig, JSON.stringify(studyChange(study)));
    const studyOut = join(dir, `${slug}-study-out`);
    started = performance.now();
    const s = gendice(['study', '--config', studyConfig, '--out', studyOut]);
    const studySeconds = (performance.now() - started) / 1000;
    expect(s.status, s.stderr).not.toBe(0);
    expect(s.stderr).toMatch(/-study\.json: invalid study configuration/);
    expect(s.stderr).toMatch(studyMessage);
    expect(s.stdout).toBe('');
    expect(existsSync(studyOut)).toBe(false);

    // Process start-up (tsx, TF.js) included; no data is loaded and no network built.
    expect(Math.max(trainSeconds, studySeconds)).toBeLessThan(20);
    expect(readdirSync(dir).filter((f) => f.startsWith(slug))).toEqual([`${slug}-study.json`, `${slug}-train.json`]);
  }, 60_000);
});
