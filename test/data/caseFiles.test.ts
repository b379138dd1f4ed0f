import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVolume, groupCaseFiles, loadCase, loadDecathlon, writeNifti } from '../../src/node.js';

// One file per modality (nnU-Net's imagesTr/case_0000.nii.gz, case_0001.nii.gz, ...) beside the Decathlon's 4D file.
const dir = mkdtempSync(join(tmpdir(), 'gendice-casefiles-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const volume = (value: number, options: { shape?: number[]; spacing?: number[] } = {}) => {
  const shape = options.shape ?? [4, 3, 2];
  return createVolume(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => value), shape, { spacing: options.spacing ?? [1, 1, 2] });
};
const label = () => createVolume(Uint8Array.from({ length: 24 }, (_, i) => i % 2), [4, 3, 2], { spacing: [1, 1, 2] });

async function perModalityCase(root: string, folder: string, id: string, values: number[]): Promise<void> {
  for (const [c, v] of values.entries()) await writeNifti(join(root, folder, `${id}_${String(c).padStart(4, '0')}.nii.gz`), volume(v));
}

const v1 = join(dir, 'v1');
const v2 = join(dir, 'v2');

beforeAll(async () => {
  // nnU-Net v1 / Decathlon-style dataset.json whose image paths name the case, the files being per modality.
  await perModalityCase(v1, 'imagesTr', 'c1', [1, 2]);
  await perModalityCase(v1, 'imagesTr', 'c2', [3, 4]);
  await writeNifti(join(v1, 'labelsTr', 'c1.nii.gz'), label());
  await writeNifti(join(v1, 'labelsTr', 'c2.nii.gz'), label());
  writeFileSync(
    join(v1, 'dataset.json'),
    JSON.stringify({
      modality: { '0': 'T1', '1': 'T2' },
      labels: { '0': 'background', '1': 'lesion' },
      training: ['c1', 'c2'].map((id) => ({ image: `./imagesTr/${id}.nii.gz`, label: `./labelsTr/${id}.nii.gz` })),
      test: [],
    }),
  );
  // nnU-Net v2: no training list; channel_names, labels by name, file_ending; a hidden AppleDouble file.
  await perModalityCase(v2, 'imagesTr', 'case_b', [5, 6]);
  await perModalityCase(v2, 'imagesTr', 'case_a', [7, 8]);
  writeFileSync(join(v2, 'imagesTr', '._case_a_0000.nii.gz'), 'not a NIfTI file');
  await writeNifti(join(v2, 'labelsTr', 'case_a.nii.gz'), label());
  await writeNifti(join(v2, 'labelsTr', 'case_b.nii.gz'), label());
  await perModalityCase(v2, 'imagesTs', 'case_t', [9, 10]);
  writeFileSync(join(v2, 'dataset.json'), JSON.stringify({ channel_names: { '0': 'T1', '1': 'T2' }, labels: { background: 0, lesion: 1 }, numTraining: 2, file_ending: '.nii.gz' }));
});

describe('loadDecathlon with one file per modality', () => {
  it('finds the per-modality files of a listed case and stacks them in modality order', async () => {
    const ds = loadDecathlon(v1);
    expect(ds.modalities).toEqual(['T1', 'T2']);
    expect(ds.training.map((c) => [c.id, c.images.map((f) => basename(f))])).toEqual([
      ['c1', ['c1_0000.nii.gz', 'c1_0001.nii.gz']],
      ['c2', ['c2_0000.nii.gz', 'c2_0001.nii.gz']],
    ]);
    const c = await loadCase(ds.training[1]!, { labels: ds.labels.keys(), channels: 2 });
    expect(c.image.channels).toBe(2);
    expect(c.image.shape).toEqual([4, 3, 2]);
    expect(Array.from(c.image.data.subarray(0, 24)).every((v) => v === 3)).toBe(true);
    expect(Array.from(c.image.data.subarray(24, 48)).every((v) => v === 4)).toBe(true);
    await expect(loadCase(ds.training[0]!, { channels: 3 })).rejects.toThrow("loadCase: case 'c1': expected 3 channels (one per modality), got 2 from 'c1_0000.nii.gz' (1), 'c1_0001.nii.gz' (1)");
  });

  it('reads nnU-Net v2 folders: cases from imagesTr, labels by name, hidden files left out', () => {
    const ds = loadDecathlon(v2);
    expect([...ds.labels.entries()]).toEqual([
      [0, 'background'],
      [1, 'lesion'],
    ]);
    expect(ds.modalities).toEqual(['T1', 'T2']);
    expect(ds.training.map((c) => [c.id, c.images.map((f) => basename(f)), basename(c.label!)])).toEqual([
      ['case_a', ['case_a_0000.nii.gz', 'case_a_0001.nii.gz'], 'case_a.nii.gz'],
      ['case_b', ['case_b_0000.nii.gz', 'case_b_0001.nii.gz'], 'case_b.nii.gz'],
    ]);
    expect(ds.test.map((c) => c.id)).toEqual(['case_t']);
  });

  it('names a missing modality file and a channel on another grid', async () => {
    const bad = join(dir, 'bad');
    await perModalityCase(bad, 'imagesTr', 'm', [1]);
    await writeNifti(join(bad, 'imagesTr', 'g_0000.nii.gz'), volume(1));
    await writeNifti(join(bad, 'imagesTr', 'g_0001.nii.gz'), volume(2, { spacing: [1, 1, 3] }));
    await writeNifti(join(bad, 'imagesTr', 's_0000.nii.gz'), volume(1));
    await writeNifti(join(bad, 'imagesTr', 's_0001.nii.gz'), volume(2, { shape: [4, 3, 3] }));
    for (const id of ['m', 'g', 's']) await writeNifti(join(bad, 'labelsTr', `${id}.nii.gz`), label());
    const json = (ids: string[]) =>
      JSON.stringify({ modality: { '0': 'T1', '1': 'T2' }, labels: { '0': 'background', '1': 'lesion' }, training: ids.map((id) => ({ image: `./imagesTr/${id}.nii.gz`, label: `./labelsTr/${id}.nii.gz` })) });
    writeFileSync(join(bad, 'dataset.json'), json(['m']));
    expect(() => loadDecathlon(bad)).toThrow(/training\[0\]\.image: .*case 'm' has one file per modality but lacks 'm_0001\.nii\.gz' \(2 modalities\)/);
    writeFileSync(join(bad, 'dataset.json'), json(['x']));
    expect(() => loadDecathlon(bad)).toThrow(/file '\.\/imagesTr\/x\.nii\.gz' not found .*nor the per-modality file 'x_0000\.nii\.gz'/);
    writeFileSync(join(bad, 'dataset.json'), json(['g', 's']));
    const ds = loadDecathlon(bad);
    await expect(loadCase(ds.training[0]!)).rejects.toThrow(/loadCase: case 'g': its modality files must share one grid .*g_0000\.nii\.gz' and '.*g_0001\.nii\.gz' differ in spacing/);
    await expect(loadCase(ds.training[1]!)).rejects.toThrow(/loadCase: case 's': .*s_0000\.nii\.gz' and '.*s_0001\.nii\.gz' differ in shape/);
  });

  it('refuses region-based and duplicate labels of nnU-Net v2', () => {
    const regions = join(dir, 'regions');
    mkdirSync(join(regions, 'imagesTr'), { recursive: true });
    writeFileSync(join(regions, 'dataset.json'), JSON.stringify({ channel_names: { '0': 'T1' }, labels: { background: 0, whole: [1, 2] } }));
    expect(() => loadDecathlon(regions)).toThrow(/label 'whole' is a region \(\[1,2\]\); region-based labels are not supported/);
    writeFileSync(join(regions, 'dataset.json'), JSON.stringify({ channel_names: { '0': 'T1' }, labels: { background: 0, a: 1, b: 1 } }));
    expect(() => loadDecathlon(regions)).toThrow(/labels 'a' and 'b' share the value 1/);
  });
});

describe('groupCaseFiles', () => {
  const f = (...names: string[]) => names.map((n) => join('/in', n));
  const ids = (cases: ReturnType<typeof groupCaseFiles>) => cases.map((c) => [c.id, c.images.map((i) => basename(i))]);

  it('groups per-modality files by case, in channel order, cases sorted', () => {
    expect(ids(groupCaseFiles(f('b_0001.nii.gz', 'a_0000.nii.gz', 'b_0000.nii.gz', 'a_0001.nii.gz', 'd.nii.gz'), { channels: 2 }))).toEqual([
      ['a', ['a_0000.nii.gz', 'a_0001.nii.gz']],
      ['b', ['b_0000.nii.gz', 'b_0001.nii.gz']],
      ['d', ['d.nii.gz']],
    ]);
  });

  it('one channel: every file is a case (a trailing _0000 dropped from the id)', () => {
    expect(ids(groupCaseFiles(f('a_0000.nii.gz', 'a_0001.nii.gz'), { channels: 1 }))).toEqual([
      ['a', ['a_0000.nii.gz']],
      ['a_0001', ['a_0001.nii.gz']],
    ]);
  });

  it('without a channel count: groups only suffixes that run from 0000 without a gap', () => {
    expect(ids(groupCaseFiles(f('x_0001.nii.gz', 'x_0003.nii.gz', 'y_0000.nii.gz', 'y_0001.nii')))).toEqual([
      ['x_0001', ['x_0001.nii.gz']],
      ['x_0003', ['x_0003.nii.gz']],
      ['y', ['y_0000.nii.gz', 'y_0001.nii']],
    ]);
  });

  it('refuses incomplete groups and a case given twice, naming the files', () => {
    expect(() => groupCaseFiles(f('c_0000.nii.gz', 'c_0002.nii.gz'), { channels: 3 })).toThrow(
      "groupCaseFiles: case 'c' needs one file per channel, _0000 to _0002; found 'c_0000.nii.gz', 'c_0002.nii.gz' (missing channel 1)",
    );
    expect(() => groupCaseFiles(f('c_0000.nii.gz', 'c_0001.nii.gz', 'c_0002.nii.gz'), { channels: 2 })).toThrow("(beyond 2 channels: 'c_0002.nii.gz')");
    expect(() => groupCaseFiles(f('a.nii.gz', 'a_0000.nii.gz', 'a_0001.nii.gz'), { channels: 2 })).toThrow(
      "groupCaseFiles: case 'a' is given twice: 'a.nii.gz' and 'a_0000.nii.gz' and 'a_0001.nii.gz'",
    );
    expect(() => groupCaseFiles([], { channels: 0 })).toThrow('groupCaseFiles: channels must be an integer >= 1; got 0');
  });
});
