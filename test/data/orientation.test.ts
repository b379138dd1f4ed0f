import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createVolume,
  encodeNifti,
  orientationCodes,
  parseNifti,
  reorient,
  toCanonical,
  undoReorientation,
  type Volume,
} from '../../src/data/index.js';
import { readNifti, writeNifti } from '../../src/data/node/niftiFiles.js';

const dir = mkdtempSync(join(tmpdir(), 'gendice-orient-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A canonical (RAS) image with distinct voxel values, anisotropic spacing and an offset.
const SHAPE = [5, 4, 3];
const SPACING = [0.5, 2, 3];
const CANONICAL_AFFINE = [0.5, 0, 0, -10, 0, 2, 0, 20, 0, 0, 3, -30, 0, 0, 0, 1];
const canonical = createVolume(
  Int16Array.from({ length: 60 }, (_, i) => i * 3 - 7),
  SHAPE,
  { spacing: SPACING, affine: CANONICAL_AFFINE },
);

/**
 * Stores `canonical` with voxel axis t running along canonical axis perm[t], reversed when flip[t]:
 * brute force over coordinates, with the affine composed by hand.
 */
function store(perm: number[], flip: boolean[]): Volume {
  const shape = perm.map((p) => SHAPE[p]!);
  const data = new Int16Array(60);
  for (let n2 = 0; n2 < shape[2]!; n2++) {
    for (let n1 = 0; n1 < shape[1]!; n1++) {
      for (let n0 = 0; n0 < shape[0]!; n0++) {
        const n = [n0, n1, n2];
        const o = [0, 0, 0];
        perm.forEach((p, t) => {
          o[p] = flip[t] ? SHAPE[p]! - 1 - n[t]! : n[t]!;
        });
        data[n0 + shape[0]! * (n1 + shape[1]! * n2)] = canonical.data[o[0]! + 5 * (o[1]! + 4 * o[2]!)]!;
      }
    }
  }
  // world = A_can · o, o = T · n + c
  const affine = new Array<number>(16).fill(0);
  affine[15] = 1;
  for (let r = 0; r < 3; r++) {
    let offset = CANONICAL_AFFINE[r * 4 + 3]!;
    perm.forEach((p, t) => {
      const a = CANONICAL_AFFINE[r * 4 + p]!;
      affine[r * 4 + t] = flip[t] ? -a : a;
      if (flip[t]) offset += a * (SHAPE[p]! - 1);
    });
    affine[r * 4 + 3] = offset;
  }
  return createVolume(data, shape, { spacing: perm.map((p) => SPACING[p]!), affine });
}

const ORIENTATIONS: Array<{ codes: string; perm: number[]; flip: boolean[] }> = [
  { codes: 'RAS', perm: [0, 1, 2], flip: [false, false, false] },
  { codes: 'LPS', perm: [0, 1, 2], flip: [true, true, false] },
  { codes: 'LAS', perm: [0, 1, 2], flip: [true, false, false] },
  { codes: 'RPI', perm: [0, 1, 2], flip: [false, true, true] },
  { codes: 'PIR', perm: [1, 2, 0], flip: [true, true, false] },
  { codes: 'ASL', perm: [1, 2, 0], flip: [false, false, true] },
  { codes: 'SRA', perm: [2, 0, 1], flip: [false, false, false] },
  { codes: 'ILP', perm: [2, 0, 1], flip: [true, true, true] },
];

describe('the same image stored in several orientations reads to the same canonical array', () => {
  it.each(ORIENTATIONS)('$codes (sform and qform-only, .nii.gz)', async ({ codes, perm, flip }) => {
    const stored = store(perm, flip);
    expect(orientationCodes(stored.affine)).toBe(codes);
    const path = join(dir, `${codes}.nii.gz`);
    await writeNifti(path, stored);
    const read = await readNifti(path);
    const { volume, transform } = toCanonical(read);
    expect(volume.shape).toEqual(SHAPE);
    expect(volume.spacing).toEqual(SPACING);
    volume.affine.forEach((x, i) => expect(x).toBeCloseTo(CANONICAL_AFFINE[i]!, 5));
    expect(Array.from(volume.data)).toEqual(Array.from(canonical.data));
    expect(orientationCodes(volume.affine)).toBe('RAS');

    // Without the sform, the qform (quaternion + qfac) must give the same answer.
    const bytes = encodeNifti(stored);
    new DataView(bytes.buffer).setInt16(254, 0, true);
    const viaQform = toCanonical(parseNifti(bytes, `${codes}-qform`)).volume;
    expect(Array.from(viaQform.data)).toEqual(Array.from(canonical.data));
    viaQform.affine.forEach((x, i) => expect(x).toBeCloseTo(CANONICAL_AFFINE[i]!, 4));

    // And back: a prediction in canonical space returns to the stored array and affine exactly.
    const back = undoReorientation(volume, transform);
    expect(back.shape).toEqual(read.shape);
    expect(back.affine).toEqual(read.affine);
    expect(Array.from(back.data)).toEqual(Array.from(read.data));
  });
});

describe('reorient', () => {
  it('reorients to any target and undoes it, with channels', () => {
    const multi = createVolume(Float32Array.from({ length: 120 }, (_, i) => i), SHAPE, { channels: 2, spacing: SPACING, affine: CANONICAL_AFFINE });
    const { volume, transform } = reorient(multi, 'PIL');
    expect(orientationCodes(volume.affine)).toBe('PIL');
    expect(volume.shape).toEqual([4, 3, 5]);
    expect(volume.channels).toBe(2);
    // voxel (0,0,0) of PIL is the most anterior, superior, right voxel: canonical (4, 3, 2)
    expect(volume.data[0]).toBe(multi.data[4 + 5 * (3 + 4 * 2)]);
    const back = undoReorientation(volume, transform);
    expect(Array.from(back.data)).toEqual(Array.from(multi.data));
    expect(back.spacing).toEqual(SPACING);
  });

  it('reorients a 2D image within its plane and refuses moving its slice axis', () => {
    const flat = createVolume(Uint8Array.from({ length: 6 }, (_, i) => i), [3, 2], { affine: [-1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] });
    expect(orientationCodes(flat.affine)).toBe('LPS');
    const { volume } = toCanonical(flat);
    expect(volume.shape).toEqual([3, 2]);
    expect(Array.from(volume.data)).toEqual([5, 4, 3, 2, 1, 0]);
    expect(() => reorient(flat, 'SAR')).toThrow(/reorient: 2D volume oriented 'LPS' cannot become 'SAR'/);
  });

  it('rejects malformed targets', () => {
    expect(() => reorient(canonical, 'RAR')).toThrow(/reorient: target 'RAR' must be three letters/);
    expect(() => reorient(canonical, 'XYZ')).toThrow(/reorient: target 'XYZ'/);
  });

  it('finds the nearest axes of an oblique affine', () => {
    const c = Math.cos(0.3);
    const s = Math.sin(0.3);
    expect(orientationCodes([c, -s, 0, 0, s, c, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1])).toBe('RAS');
    expect(orientationCodes([0, 0, -1.2, 0, -c, s, 0, 0, s, c, 0, 0, 0, 0, 0, 1])).toBe('PSL');
  });
});
