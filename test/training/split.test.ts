import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDecathlon } from '../../src/data/node/dataset.js';
import { writeRealisticDataset } from '../../src/data/node/realisticDataset.js';
import { splitDataset } from '../../src/training/node/datasetSplit.js';
import { train } from '../../src/training/node/trainer.js';
import { checkSplit, foldSplit } from '../../src/training/split.js';
import { tinyConfig } from './tinyConfig.js';

const dir = mkdtempSync(join(tmpdir(), 'gendice-split-'));
const dataset = join(dir, 'ds');
beforeAll(async () => {
  await writeRealisticDataset({ out: dataset, cases: 5, testCases: 2, seed: 3 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const settings = { validationFraction: 0.2, testFraction: 0 };

describe('splits', () => {
  it('seeded folds put every case in exactly one validation fold, and differ by seed', () => {
    const ids = Array.from({ length: 13 }, (_, i) => `c${i}`);
    const validation = [0, 1, 2, 3, 4].flatMap((k) => foldSplit(ids, 5, k, 7).validation);
    expect([...validation].sort()).toEqual([...ids].sort());
    const f = foldSplit(ids, 5, 2, 7);
    expect(f.train.length + f.validation.length).toBe(13);
    expect(f.train.some((id) => f.validation.includes(id))).toBe(false);
    expect(foldSplit(ids, 5, 0, 8).validation).not.toEqual(foldSplit(ids, 5, 0, 7).validation);
    expect(() => foldSplit(ids, 5, 5, 7)).toThrow(/foldSplit: fold must be an integer in \[0, 4\]; got 5/);
  });

  it("uses dataset.json's labelled test list as the test set", () => {
    const d = loadDecathlon(dataset);
    const parts = splitDataset(d, settings, 0, dir);
    expect(parts.test.map((e) => e.id).sort()).toEqual(d.test.map((e) => e.id).sort());
    expect(parts.test.every((e) => e.label?.includes('labelsTs'))).toBe(true);
    expect(parts.train.length + parts.validation.length).toBe(5);
  });

  it('reads an explicit split file and names a wrong id', () => {
    const d = loadDecathlon(dataset);
    const ids = d.training.map((e) => e.id);
    const good = join(dir, 'split.json');
    writeFileSync(good, JSON.stringify({ train: ids.slice(0, 3), validation: ids.slice(3), test: [d.test[0]!.id] }));
    const parts = splitDataset(d, { ...settings, split: 'split.json' }, 0, dir);
    expect(parts.validation.map((e) => e.id)).toEqual(ids.slice(3));
    expect(parts.test.map((e) => e.id)).toEqual([d.test[0]!.id]);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ train: ids, validation: ['nope_042'] }));
    expect(() => splitDataset(d, { ...settings, split: 'bad.json' }, 0, dir)).toThrow(/checkSplit: .*bad.json: validation: unknown case id 'nope_042'/);
    expect(() => checkSplit({ train: ['a'], validation: ['a'] }, ['a'], 's.json')).toThrow(/case 'a' is in both train and validation/);
    expect(() => splitDataset(d, { ...settings, fold: 1 }, 0, dir)).toThrow(/data.fold: 1 needs data.folds/);
  });

  it('a fold run records its split as split.json', async () => {
    const out = join(dir, 'run');
    const config = tinyConfig({ seed: 2, network: { name: 'unet3d', options: { depth: 1, baseFilters: 2 } }, iterations: 1, batchSize: 1 });
    await train({ ...config, patchSize: [8, 8, 4], data: { dataset, folds: 5, fold: 3 }, scoreWindow: 1 }, { outDir: out });
    const split = JSON.parse(readFileSync(join(out, 'split.json'), 'utf8'));
    const d = loadDecathlon(dataset);
    expect(split.validation).toEqual(foldSplit(d.training.map((e) => e.id), 5, 3, 2).validation);
    expect(split.train).toHaveLength(4);
    expect(split.test).toHaveLength(2);
  });
});
