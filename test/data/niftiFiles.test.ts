import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createVolume, encodeNifti, NiftiError, parseNifti } from '../../src/data/index.js';
import { readNifti, writeNifti } from '../../src/data/node/niftiFiles.js';

const dir = mkdtempSync(join(tmpdir(), 'gendice-nifti-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const volume = createVolume(Int16Array.from({ length: 120 }, (_, i) => i - 60), [5, 4, 6], { spacing: [0.5, 1, 2] });

describe('readNifti / writeNifti (Node: zlib, durable writes)', () => {
  it('writes through zlib what the pure-JS reader reads, and reads what fflate wrote', async () => {
    const path = join(dir, 'zlib.nii.gz');
    await writeNifti(path, volume);
    const bytes = new Uint8Array(readFileSync(path));
    expect(Array.from(bytes.subarray(0, 3))).toEqual([0x1f, 0x8b, 8]);
    expect(Array.from(parseNifti(bytes, path).data)).toEqual(Array.from(volume.data));
    const fflatePath = join(dir, 'fflate.nii.gz');
    writeFileSync(fflatePath, encodeNifti(volume, { gzip: true }));
    expect(Array.from((await readNifti(fflatePath)).data)).toEqual(Array.from(volume.data));
  });

  it('replaces an existing file and leaves no temporary file behind', async () => {
    const path = join(dir, 'replace', 'a.nii');
    await writeNifti(path, volume);
    await writeNifti(path, createVolume(Int16Array.from({ length: 120 }, () => 7), [5, 4, 6]));
    expect(readdirSync(join(dir, 'replace'))).toEqual(['a.nii']);
    expect(Array.from((await readNifti(path)).data).every((v) => v === 7)).toBe(true);
  });

  it('names the file when it cannot write, and leaves nothing under the final name', async () => {
    const blocker = join(dir, 'not-a-folder');
    writeFileSync(blocker, 'x');
    const path = join(blocker, 'a.nii.gz');
    const err = await writeNifti(path, volume).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NiftiError);
    expect((err as NiftiError).message).toMatch(new RegExp(`^writeNifti: ${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: file: cannot write`));
  });
});
