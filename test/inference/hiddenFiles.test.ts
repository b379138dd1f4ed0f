import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createVolume } from '../../src/data/volume.js';
import { writeNifti } from '../../src/data/node/niftiFiles.js';
import { evaluateFolders } from '../../src/inference/node/evaluateFolders.js';
import { listNiftiInputs } from '../../src/inference/node/predictFiles.js';

const dir = mkdtempSync(join(tmpdir(), 'gendice-hidden-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A folder as the genuine Decathlon archives unpack: each case beside its macOS AppleDouble twin. */
async function decathlonLikeFolder(name: string): Promise<string> {
  const folder = join(dir, name);
  mkdirSync(folder, { recursive: true });
  const voxels = new Uint8Array(4 * 4 * 2);
  voxels[5] = 1;
  const label = createVolume(voxels, [4, 4, 2]);
  for (const id of ['hippocampus_001', 'hippocampus_007']) {
    await writeNifti(join(folder, `${id}.nii.gz`), label);
    // AppleDouble: 4 KiB of resource-fork metadata, not a NIfTI file.
    writeFileSync(join(folder, `._${id}.nii.gz`), Buffer.concat([Buffer.from([0x00, 0x05, 0x16, 0x07]), Buffer.alloc(4092)]));
  }
  return folder;
}

describe('hidden and AppleDouble files', () => {
  it('listNiftiInputs leaves them out of a folder and reports each one', async () => {
    const folder = await decathlonLikeFolder('images');
    const skipped: string[] = [];
    expect(listNiftiInputs(folder, (f) => skipped.push(f))).toEqual([join(folder, 'hippocampus_001.nii.gz'), join(folder, 'hippocampus_007.nii.gz')]);
    expect(skipped).toEqual([join(folder, '._hippocampus_001.nii.gz'), join(folder, '._hippocampus_007.nii.gz')]);
  });

  it('evaluateFolders pairs the real cases and reports the hidden files it left out', async () => {
    const pred = await decathlonLikeFolder('pred');
    const ref = await decathlonLikeFolder('ref');
    const report = await evaluateFolders(pred, ref, { metrics: ['dice'] });
    expect(report.cases.map((c) => c.id)).toEqual(['hippocampus_001', 'hippocampus_007']);
    expect(report.skipped).toHaveLength(4);
    expect(report.skipped.every((f) => f.includes('/._hippocampus_'))).toBe(true);
  });
});
