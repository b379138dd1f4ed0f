import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import {
  allocateVoxels,
  createVolume,
  encodeNifti,
  NIFTI_DATATYPES,
  NiftiError,
  parseNifti,
  type NiftiDatatype,
  type Volume,
} from '../../src/data/index.js';
import { readNifti, writeNifti } from '../../src/data/node/niftiFiles.js';

const dir = mkdtempSync(join(tmpdir(), 'gendice-nifti-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Values exercising each type's range ends, negative numbers and fractions where allowed. */
function sample(datatype: NiftiDatatype, n: number): Volume['data'] {
  const data = allocateVoxels(datatype, n);
  const edge: Record<NiftiDatatype, number[]> = {
    uint8: [0, 255, 1, 128],
    int8: [-128, 127, 0, -1],
    int16: [-32768, 32767, 0, -7],
    uint16: [0, 65535, 1, 4096],
    int32: [-2147483648, 2147483647, 0, -123456],
    uint32: [0, 4294967295, 1, 3000000000],
    float32: [-1.5, 3.25, 1e-20, -65504.5],
    float64: [-1.5, Math.PI, 1e-300, -1e300],
  };
  for (let i = 0; i < n; i++) data[i] = edge[datatype][i % 4]! + (datatype.startsWith('float') ? i / 8 : 0);
  return data;
}

// An oblique, left-handed affine with float32-representable entries (NIfTI-1 stores float32).
const AFFINE = [-1.5, 0, 0, 90.5, 0, 0.5 * Math.SQRT2, -0.5 * Math.SQRT2, -126, 0, 0.5 * Math.SQRT2, 0.5 * Math.SQRT2, -72.25, 0, 0, 0, 1].map(
  (x) => Math.fround(x),
);

describe('NIfTI round trips: write → read is exact', () => {
  const cases = NIFTI_DATATYPES.flatMap((datatype) =>
    ([1, 2] as const).flatMap((version) =>
      [true, false].flatMap((littleEndian) => ['.nii', '.nii.gz'].map((ext) => ({ datatype, version, littleEndian, ext }))),
    ),
  );
  it.each(cases)('$datatype NIfTI-$version littleEndian=$littleEndian $ext', async ({ datatype, version, littleEndian, ext }) => {
    const shape = [5, 4, 3];
    const spacing = [1.5, Math.fround(1), Math.fround(1)];
    const volume = createVolume(sample(datatype, 60), shape, { spacing, affine: AFFINE });
    const path = join(dir, `rt-${datatype}-${version}-${littleEndian}${ext}`);
    await writeNifti(path, volume, { version, littleEndian });
    const bytes = readFileSync(path);
    expect(bytes[0] === 0x1f && bytes[1] === 0x8b).toBe(ext === '.nii.gz');
    const back = await readNifti(path);
    expect(back.datatype).toBe(datatype);
    expect(back.shape).toEqual(shape);
    expect(back.channels).toBe(1);
    expect(back.spacing).toEqual(spacing);
    expect(back.affine).toEqual(AFFINE);
    expect(Array.from(back.data)).toEqual(Array.from(volume.data));
    expect(back.header?.version).toBe(version);
    expect(back.header?.littleEndian).toBe(littleEndian);
    // read → write → read keeps version and byte order from the header
    const again = join(dir, `rt2-${datatype}-${version}-${littleEndian}${ext}`);
    await writeNifti(again, back);
    const third = await readNifti(again);
    expect(third.header?.version).toBe(version);
    expect(third.header?.littleEndian).toBe(littleEndian);
    expect(Array.from(third.data)).toEqual(Array.from(volume.data));
  });
});

describe('NIfTI geometry', () => {
  it('reads the affine from the qform when sform_code is 0 (quaternion and qfac)', () => {
    const volume = createVolume(new Int16Array(24), [4, 3, 2], { spacing: [1.5, Math.fround(1), Math.fround(1)], affine: AFFINE });
    for (const version of [1, 2] as const) {
      const bytes = encodeNifti(volume, { version });
      const view = new DataView(bytes.buffer);
      if (version === 1) view.setInt16(254, 0, true);
      else view.setInt32(348, 0, true);
      const back = parseNifti(bytes, `qform-v${version}`);
      expect(back.header?.sformCode).toBe(0);
      expect(back.header?.qformCode).toBe(1);
      back.affine.forEach((x, i) => expect(x).toBeCloseTo(AFFINE[i]!, 5));
    }
  });

  it('uses diag(pixdim) when neither transform is set, and converts metres to millimetres', () => {
    const volume = createVolume(new Uint8Array(8), [2, 2, 2], { spacing: [2, 3, 4] });
    const bytes = encodeNifti(volume);
    const view = new DataView(bytes.buffer);
    view.setInt16(252, 0, true);
    view.setInt16(254, 0, true);
    expect(parseNifti(bytes, 'method1').affine).toEqual([2, 0, 0, 0, 0, 3, 0, 0, 0, 0, 4, 0, 0, 0, 0, 1]);
    view.setUint8(123, 1); // metres
    const metres = parseNifti(bytes, 'metres');
    expect(metres.spacing).toEqual([2000, 3000, 4000]);
    expect(metres.affine[0]).toBe(2000);
  });

  it('reads and writes 4D multi-modal images as channels, and 2D images as rank 2', async () => {
    const data = Float32Array.from({ length: 4 * 3 * 2 * 3 }, (_, i) => i * 0.5);
    const volume = createVolume(data, [4, 3, 2], { channels: 3 });
    const path = join(dir, 'multimodal.nii.gz');
    await writeNifti(path, volume);
    const back = await readNifti(path);
    expect(back.header?.dims.slice(0, 5)).toEqual([4, 4, 3, 2, 3]);
    expect(back.channels).toBe(3);
    expect(Array.from(back.data)).toEqual(Array.from(data));

    const flat = createVolume(Uint8Array.from([1, 2, 3, 4, 5, 6]), [3, 2], { spacing: [0.5, 0.25] });
    const flatBack = parseNifti(encodeNifti(flat), 'flat');
    expect(flatBack.shape).toEqual([3, 2]);
    expect(flatBack.spacing).toEqual([0.5, 0.25]);
    expect(flatBack.header?.dims[0]).toBe(2);
    expect(Array.from(flatBack.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('applies scl_slope/scl_inter (float32 out), or keeps them with scaling: keep and writes them back', () => {
    const volume = createVolume(Int16Array.from([0, 1, 2, -3]), [2, 2]);
    const bytes = encodeNifti(volume);
    const view = new DataView(bytes.buffer);
    view.setFloat32(112, 0.5, true);
    view.setFloat32(116, 10, true);
    const scaled = parseNifti(bytes, 'scaled');
    expect(scaled.datatype).toBe('float32');
    expect(Array.from(scaled.data)).toEqual([10, 10.5, 11, 8.5]);
    const kept = parseNifti(bytes, 'kept', { scaling: 'keep' });
    expect(kept.datatype).toBe('int16');
    expect(Array.from(kept.data)).toEqual([0, 1, 2, -3]);
    const rewritten = parseNifti(encodeNifti(kept), 'rewritten');
    expect(Array.from(rewritten.data)).toEqual([10, 10.5, 11, 8.5]);
    // slope 0 means "no scaling" in NIfTI
    view.setFloat32(112, 0, true);
    expect(parseNifti(bytes, 'slope0').datatype).toBe('int16');
  });

  it('converts datatype on writing, refusing values that do not fit', () => {
    const volume = createVolume(Float32Array.from([0, 1, 2, 300]), [2, 2]);
    expect(() => encodeNifti(volume, { datatype: 'uint8', name: 'x.nii' })).toThrow(/writeNifti: x\.nii: datatype: voxel 3 = 300 cannot be stored as uint8/);
    const ok = parseNifti(encodeNifti(volume, { datatype: 'int16' }), 'ok');
    expect(ok.datatype).toBe('int16');
    expect(Array.from(ok.data)).toEqual([0, 1, 2, 300]);
  });

  it('reads concatenated (multi-member) gzip', () => {
    const raw = encodeNifti(createVolume(Uint16Array.from({ length: 64 }, (_, i) => i * 1000), [4, 4, 4]));
    const a = gzipSync(raw.subarray(0, 200));
    const b = gzipSync(raw.subarray(200));
    const joined = new Uint8Array(a.length + b.length);
    joined.set(a);
    joined.set(b, a.length);
    const back = parseNifti(joined, 'multi.nii.gz');
    expect(back.data[63]).toBe(63000);
  });
});

function expectNiftiError(fn: () => unknown, field: string, pattern: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(NiftiError);
  const e = caught as NiftiError;
  expect(e.field).toBe(field);
  expect(e.message).toMatch(/^readNifti: broken\/[\w.-]+: /);
  expect(e.message).toMatch(pattern);
}

describe('broken files are refused with an error naming the file and the field', () => {
  const good = encodeNifti(createVolume(Float32Array.from({ length: 24 }, (_, i) => i), [4, 3, 2]));
  const goodV2 = encodeNifti(createVolume(Float32Array.from({ length: 24 }, (_, i) => i), [4, 3, 2]), { version: 2 });
  const mutate = (base: Uint8Array, edit: (v: DataView, b: Uint8Array) => void): Uint8Array => {
    const b = base.slice();
    edit(new DataView(b.buffer), b);
    return b;
  };
  const corpus: Array<[string, string, Uint8Array, RegExp]> = [
    ['empty.nii', 'sizeof_hdr', new Uint8Array(0), /file is empty/],
    ['tiny.nii', 'sizeof_hdr', good.subarray(0, 100), /not a NIfTI file|truncated header/],
    ['truncated-header.nii', 'sizeof_hdr', good.subarray(0, 300), /truncated header: NIfTI-1 needs 348 bytes, file holds 300/],
    ['truncated-data.nii', 'data', good.subarray(0, good.length - 5), /need 96 bytes after vox_offset 352; the file holds only 91 \(truncated/],
    ['trailing-data.nii', 'data', new Uint8Array([...good, 1, 2, 3, 4]), /the file holds 100 \(corrupt dim or trailing data\)/],
    ['not-nifti.nii', 'sizeof_hdr', new TextEncoder().encode('hello world, this is not an image'.repeat(20)), /not a NIfTI file \(sizeof_hdr is/],
    ['wrong-magic.nii', 'magic', mutate(good, (_, b) => b.set([0x6e, 0x2b, 0x39], 344)), /expected 'n\+1'/],
    ['hdr-pair.nii', 'magic', mutate(good, (_, b) => b.set([0x6e, 0x69, 0x31], 344)), /\.hdr\/\.img pair/],
    ['wrong-magic-v2.nii', 'magic', mutate(goodV2, (_, b) => b.set([0x6e, 0x2b, 0x32, 0, 0, 0, 0, 0], 4)), /expected 'n\+2'/],
    ['dim0.nii', 'dim', mutate(good, (v) => v.setInt16(40, 9, true)), /dim\[0\] must be 2\.\.7/],
    ['negative-dim.nii', 'dim', mutate(good, (v) => v.setInt16(44, -4, true)), /dim\[2\] must be a positive extent, got -4/],
    ['dims-mismatch.nii', 'data', mutate(good, (v) => v.setInt16(42, 5, true)), /dims \[5, 3, 2\] of float32 need 120 bytes/],
    ['absurd-dims.nii', 'dim', mutate(good, (v) => [1, 2, 3].forEach((i) => v.setInt16(40 + 2 * i, 32767, true))), /more than the limit of 2147483648/],
    ['absurd-dims-v2.nii', 'dim', mutate(goodV2, (v) => v.setBigInt64(24, 1n << 40n, true)), /dim\[1\] must be a positive extent/],
    ['huge-v2.nii', 'dim', mutate(goodV2, (v) => [1, 2, 3].forEach((i) => v.setBigInt64(16 + 8 * i, 100000n, true))), /more than the limit/],
    ['bad-datatype.nii', 'datatype', mutate(good, (v) => v.setInt16(70, 32, true)), /complex64 \(32\) is not supported/],
    ['unknown-datatype.nii', 'datatype', mutate(good, (v) => v.setInt16(70, 77, true)), /unknown datatype code 77/],
    ['bad-bitpix.nii', 'bitpix', mutate(good, (v) => v.setInt16(72, 8, true)), /float32 has 32 bits per voxel, header says 8/],
    ['bad-voxoffset.nii', 'vox_offset', mutate(good, (v) => v.setFloat32(108, 100, true)), /must be an integer ≥ 352/],
    ['nan-voxoffset.nii', 'vox_offset', mutate(good, (v) => v.setFloat32(108, Number.NaN, true)), /got NaN/],
    ['zero-pixdim.nii', 'pixdim', mutate(good, (v) => v.setFloat32(80, 0, true)), /pixdim\[1\] must be a positive finite voxel size, got 0/],
    ['nan-sform.nii', 'srow', mutate(good, (v) => v.setFloat32(284, Number.NaN, true)), /non-finite/],
    ['singular-sform.nii', 'srow', mutate(good, (v) => [280, 300, 320].forEach((o) => v.setFloat32(o, 0, true))), /singular/],
    ['nan-voxels.nii', 'data', mutate(good, (v) => v.setFloat32(352 + 4 * 7, Number.NaN, true)), /1 non-finite voxel\(s\).*first at index 7/],
    ['inf-voxels.nii', 'data', mutate(good, (v) => v.setFloat32(352, Number.POSITIVE_INFINITY, true)), /non-finite voxel/],
    ['bad-gzip.nii.gz', 'gzip', mutate(gzipSync(good), (_, b) => b.fill(0xff, 12, 40)), /corrupt or truncated gzip stream/],
    ['truncated-gzip.nii.gz', 'gzip', gzipSync(good).subarray(0, 60), /corrupt or truncated gzip stream/],
    ['gzip-header-only.nii.gz', 'gzip', new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), /stream holds only 0 decompressed bytes/],
  ];
  it.each(corpus)('%s → %s', (name, field, bytes, pattern) => {
    expectNiftiError(() => parseNifti(bytes, `broken/${name}`), field, pattern);
  });

  it('refuses a gzip file whose header asks for more than deflate could hold, without inflating it', () => {
    const big = mutate(good, (v) => [1, 2, 3].forEach((i) => v.setInt16(40 + 2 * i, 700, true)));
    const t0 = performance.now();
    expectNiftiError(() => parseNifti(gzipSync(big), 'broken/liar.nii.gz'), 'data', /cannot hold more than/);
    expect(performance.now() - t0).toBeLessThan(500);
  });

  it('NaN voxels can be kept or zeroed on request', () => {
    const nan = mutate(good, (v) => v.setFloat32(352 + 4 * 2, Number.NaN, true));
    expect(Number.isNaN(parseNifti(nan, 'k', { nonFinite: 'keep' }).data[2]!)).toBe(true);
    expect(parseNifti(nan, 'z', { nonFinite: 'zero' }).data[2]).toBe(0);
  });

  it('readNifti names a missing file', async () => {
    await expect(readNifti(join(dir, 'missing.nii.gz'))).rejects.toThrow(/readNifti: .*missing\.nii\.gz: file: cannot open/);
  });

  it('a .nii.gz that is not compressed is still read (content decides)', async () => {
    const path = join(dir, 'plain-named-gz.nii.gz');
    writeFileSync(path, good);
    expect((await readNifti(path)).data[23]).toBe(23);
  });
});
