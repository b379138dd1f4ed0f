import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkGeometry,
  createVolume,
  loadCase,
  loadCaseList,
  loadDecathlon,
  splitCases,
  writeNifti,
  writeSyntheticDataset,
  type SynthReport,
} from '../../src/node.js';

const dir = mkdtempSync(join(tmpdir(), 'gendice-dataset-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let report: SynthReport;

beforeAll(async () => {
  report = await writeSyntheticDataset({ out: join(dir, 'ds'), dims: 2, cases: 4, size: 32, foregroundFraction: 0.05, classes: 2, seed: 3 });
  const flat = (v: number, spacing = [1, 1]): ReturnType<typeof createVolume> =>
    createVolume(Float32Array.from({ length: 16 }, () => v), [4, 4], { spacing });
  await writeNifti(join(dir, 'a_t1.nii.gz'), flat(1));
  await writeNifti(join(dir, 'a_t2.nii.gz'), flat(2));
  await writeNifti(join(dir, 'a_seg.nii.gz'), createVolume(Uint8Array.from({ length: 16 }, (_, i) => i % 2), [4, 4]));
  await writeNifti(join(dir, 'b_img.nii'), flat(3, [1, 1.5]));
  await writeNifti(join(dir, 'b_seg.nii'), createVolume(Uint8Array.from({ length: 16 }, (_, i) => (i === 5 ? 7 : 0)), [4, 4]));
});

describe('Decathlon layout', () => {
  it('writes and reads back a synthetic dataset', async () => {
    const json = JSON.parse(readFileSync(report.datasetJson, 'utf8'));
    expect(json.numTraining).toBe(4);
    expect(json.labels).toEqual({ '0': 'background', '1': 'lesion1', '2': 'lesion2' });
    const ds = loadDecathlon(join(dir, 'ds'));
    expect(ds.training.map((c) => c.id)).toEqual(['phantom_000', 'phantom_001', 'phantom_002', 'phantom_003']);
    expect([...ds.labels.keys()]).toEqual([0, 1, 2]);
    expect(ds.modalities).toEqual(['synthetic']);
    const loaded = await loadCase(ds.training[1]!, { labels: ds.labels.keys() });
    expect(loaded.image.shape).toEqual([32, 32]);
    let fg = 0;
    for (const v of loaded.label!.data) if (v !== 0) fg++;
    expect(fg / 1024).toBeCloseTo(report.cases[1]!.foregroundFraction, 10);
    expect(report.cases[1]!.foregroundFraction).toBeCloseTo(0.05, 2);
  });

  it('names a missing dataset.json and the missing file of an entry', () => {
    expect(() => loadDecathlon(join(dir, 'nowhere'))).toThrow(/loadDecathlon: .*nowhere\/dataset\.json not found/);
    const ds2 = join(dir, 'ds2');
    mkdirSync(ds2);
    writeFileSync(join(ds2, 'dataset.json'), JSON.stringify({ training: [{ image: './imagesTr/x.nii.gz', label: './labelsTr/x.nii.gz' }] }));
    expect(() => loadDecathlon(ds2)).toThrow(/dataset\.json: training\[0\]\.image: file '\.\/imagesTr\/x\.nii\.gz' not found/);
    writeFileSync(join(ds2, 'dataset.json'), JSON.stringify({ training: [], labels: { a: 'x' } }));
    expect(() => loadDecathlon(ds2)).toThrow(/labels key 'a' is not a non-negative integer/);
  });
});

describe('case lists, geometry and labels', () => {
  it('reads CSV lists with several modalities and stacks them as channels', async () => {
    writeFileSync(join(dir, 'list.csv'), 'id,image,label\ncaseA,a_t1.nii.gz;a_t2.nii.gz,a_seg.nii.gz\n');
    const [entry] = loadCaseList(join(dir, 'list.csv'));
    expect(entry!.id).toBe('caseA');
    const loaded = await loadCase(entry!, { labels: [0, 1] });
    expect(loaded.image.channels).toBe(2);
    expect(loaded.image.data[0]).toBe(1);
    expect(loaded.image.data[16]).toBe(2);
  });

  it('reads JSON lists and refuses mismatched geometry, naming both files', async () => {
    writeFileSync(join(dir, 'list.json'), JSON.stringify([{ image: 'b_img.nii', label: 'a_seg.nii.gz' }]));
    const [entry] = loadCaseList(join(dir, 'list.json'));
    expect(entry!.id).toBe('b_img');
    await expect(loadCase(entry!)).rejects.toThrow(/checkGeometry: '.*b_img\.nii' and '.*a_seg\.nii\.gz' differ in spacing: \[1, 1\] vs \[1, 1\.5\]|differ in spacing: \[1, 1\.5\] vs \[1, 1\]/);
    const a = createVolume(new Uint8Array(16), [4, 4]);
    const b = createVolume(new Uint8Array(16), [4, 4], { affine: [1, 0, 0, 0.5, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] });
    expect(() => checkGeometry(a, 'img.nii', b, 'seg.nii')).toThrow(/'img\.nii' and 'seg\.nii' differ in affine\[0\]\[3\]: 0 vs 0\.5/);
    expect(() => checkGeometry(a, 'img.nii', createVolume(new Uint8Array(12), [4, 3]), 'seg.nii')).toThrow(/differ in shape: \[4, 4\] vs \[4, 3\]/);
  });

  it('refuses labels with unexpected values, naming the file', async () => {
    writeFileSync(join(dir, 'list2.json'), JSON.stringify([{ image: 'a_t1.nii.gz', label: 'b_seg.nii' }]));
    const [entry] = loadCaseList(join(dir, 'list2.json'));
    await expect(loadCase(entry!, { labels: [0, 1] })).rejects.toThrow(/checkLabelValues: '.*b_seg\.nii': unexpected label values 7; dataset labels are 0, 1/);
  });

  it('names a missing file and a missing column', () => {
    writeFileSync(join(dir, 'bad.csv'), 'image,label\nnope.nii.gz,a_seg.nii.gz\n');
    expect(() => loadCaseList(join(dir, 'bad.csv'))).toThrow(/bad\.csv: line 2: image: file 'nope\.nii\.gz' not found/);
    writeFileSync(join(dir, 'bad2.csv'), 'img,label\n');
    expect(() => loadCaseList(join(dir, 'bad2.csv'))).toThrow(/must name an 'image' column/);
  });
});

describe('splitCases', () => {
  const cases = Array.from({ length: 50 }, (_, i) => ({ id: `case${String(i).padStart(2, '0')}` }));
  it('is deterministic from the seed, independent of input order, and partitions the cases', () => {
    const a = splitCases(cases, { validation: 0.2, test: 0.1, seed: 4 });
    const b = splitCases([...cases].reverse(), { validation: 0.2, test: 0.1, seed: 4 });
    const c = splitCases(cases, { validation: 0.2, test: 0.1, seed: 5 });
    expect(a).toEqual(b);
    expect(a.validation).not.toEqual(c.validation);
    expect([a.train.length, a.validation.length, a.test.length]).toEqual([35, 10, 5]);
    const all = [...a.train, ...a.validation, ...a.test].map((x) => x.id).sort();
    expect(all).toEqual(cases.map((x) => x.id));
    expect(() => splitCases(cases, { validation: 0.7, test: 0.5 })).toThrow(/sum to at most 1/);
  });
});
