import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caseFingerprint, datasetFingerprint } from '../../src/data/fingerprint.js';
import { planFromFingerprint } from '../../src/data/plan.js';
import { loadCase, loadDecathlon, readNifti, writeNifti } from '../../src/node.js';
import { writeRealisticDataset } from '../../src/data/node/realisticDataset.js';
import { checkPatchSize, unet3dGeometry } from '../../src/networks/index.js';

// The realistic phantoms (oblique, anisotropic, two modalities) as the Decathlon's 4D files and as nnU-Net
// v2's one file per modality: the same cases, the same fingerprint and plan; the plan's topology builds.
const dir = mkdtempSync(join(tmpdir(), 'gendice-permodality-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fourD = join(dir, '4d');
const perModality = join(dir, 'v2');

beforeAll(async () => {
  const report = await writeRealisticDataset({ out: fourD, cases: 2, seed: 4 });
  mkdirSync(join(perModality, 'labelsTr'), { recursive: true });
  for (const c of report.training) {
    const v = await readNifti(join(fourD, c.image));
    const n = v.data.length / v.channels;
    for (let k = 0; k < v.channels; k++) {
      await writeNifti(join(perModality, 'imagesTr', `${c.id}_000${k}.nii.gz`), { ...v, channels: 1, data: v.data.slice(k * n, (k + 1) * n) });
    }
    copyFileSync(join(fourD, c.label), join(perModality, 'labelsTr', `${c.id}.nii.gz`));
  }
  const json = JSON.parse(readFileSync(report.datasetJson, 'utf8')) as { name: string; modality: Record<string, string>; labels: Record<string, string> };
  const labels = Object.fromEntries(Object.entries(json.labels).map(([value, name]) => [name, Number(value)]));
  writeFileSync(join(perModality, 'dataset.json'), JSON.stringify({ name: json.name, channel_names: json.modality, labels, file_ending: '.nii.gz' }));
});

async function fingerprintOf(root: string) {
  const ds = loadDecathlon(root);
  const cases = [];
  const images = [];
  for (const entry of ds.training) {
    const c = await loadCase(entry, { labels: ds.labels.keys(), channels: ds.modalities.length });
    images.push(c.image);
    cases.push(caseFingerprint(entry.id, c.image, c.label!));
  }
  return { ds, images, fingerprint: datasetFingerprint(cases, { name: ds.name, modalities: ds.modalities, labels: ds.labels }) };
}

describe('one file per modality and the 4D layout', () => {
  it('give the same images, fingerprint and plan; the plan\'s strides and kernels fit unet3d', async () => {
    const a = await fingerprintOf(fourD);
    const b = await fingerprintOf(perModality);
    expect(b.ds.training.map((c) => c.images.length)).toEqual([2, 2]);
    expect(b.ds.modalities).toEqual(a.ds.modalities);
    b.images.forEach((image, i) => {
      expect(image.channels).toBe(2);
      expect(image.shape).toEqual(a.images[i]!.shape);
      expect(image.affine).toEqual(a.images[i]!.affine);
      expect(Array.from(image.data)).toEqual(Array.from(a.images[i]!.data));
    });
    expect(b.fingerprint).toEqual(a.fingerprint);
    const plan = planFromFingerprint(b.fingerprint);
    expect(plan).toEqual(planFromFingerprint(a.fingerprint));
    const options = { strides: plan.network.strides, convKernels: plan.network.convKernels, baseFilters: plan.network.baseFilters, maxFilters: plan.network.maxFilters };
    expect(checkPatchSize('unet3d', options, plan.patchSize)).toEqual(plan.patchSize);
    const divisors = plan.network.divisibleBy;
    expect(unet3dGeometry(options).sizeRule).toContain(divisors.join(', '));
  });
});
