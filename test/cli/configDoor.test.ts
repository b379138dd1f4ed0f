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

/** Runs `gendice <command> --config <file> --out <dir>` and checks that it is refused at the door. */
function expectRefused(command: 'train' | 'study', file: string, config: object, message: RegExp): number {
  writeFileSync(file, JSON.stringify(config));
  const out = `${file}.out`;
  const started = performance.now();
  const r = gendice([command, '--config', file, '--out', out]);
  const seconds = (performance.now() - started) / 1000;
  expect(r.status, r.stderr).not.toBe(0);
  expect(r.stderr).toMatch(new RegExp(`${command}\\.json: invalid ${command === 'train' ? 'training' : 'study'} configuration`));
  expect(r.stderr).toMatch(message);
  expect(r.stdout).toBe('');
  expect(existsSync(out)).toBe(false);
  return seconds;
}

describe('a wrong configuration fails at the door, naming the field and writing nothing', () => {
  it.each(mistakes)('%s', (name, trainChange, studyChange, trainMessage, studyMessage) => {
    const slug = name.replace(/\W+/g, '-');
    const seconds = [
      expectRefused('train', join(dir, `${slug}-train.json`), trainChange(training), trainMessage),
      expectRefused('study', join(dir, `${slug}-study.json`), studyChange(study), studyMessage),
    ];
    // Process start-up (tsx, TF.js) included; no data is loaded and no network built.
    expect(Math.max(...seconds)).toBeLessThan(20);
    expect(readdirSync(dir).filter((f) => f.startsWith(slug))).toEqual([`${slug}-study.json`, `${slug}-train.json`]);
  }, 60_000);
});
