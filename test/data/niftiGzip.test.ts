import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync as zlibGunzip, gzipSync as zlibGzip } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/common/index.js';
import { createVolume, encodeNifti, NiftiError, parseNifti, type Volume } from '../../src/data/index.js';
import { readNifti } from '../../src/data/node/niftiFiles.js';
import { crc32 } from '../../src/data/nifti/crc32.js';

/**
 * The gzip policy (docs/data.md): every member's CRC32 and ISIZE verified, members read one after another,
 * NUL padding after a member skipped, anything else after a member refused (Python's gzip.decompress).
 * Each case runs on both engines: the pure-JS path (`parseNifti`, fflate + gendice's CRC32) and the Node
 * path (`readNifti`, zlib).
 */
const dir = mkdtempSync(join(tmpdir(), 'gendice-nifti-gzip-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const volume: Volume = createVolume(Float32Array.from({ length: 60 }, (_, i) => i * 0.5 - 3), [5, 4, 3], { spacing: [1, 2, 3] });
const raw = encodeNifti(volume);
const gz = (bytes: Uint8Array, level = 6): Uint8Array => new Uint8Array(zlibGzip(bytes, { level }));
const cat = (...parts: Array<Uint8Array | number[]>): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
const edit = (bytes: Uint8Array, change: (b: Uint8Array) => void): Uint8Array => {
  const b = bytes.slice();
  change(b);
  return b;
};
const good = gz(raw);

let fileCounter = 0;
const engines: Array<{ engine: string; read: (bytes: Uint8Array, name: string) => Promise<{ volume?: Volume; error?: unknown; name: string }> }> = [
  {
    engine: 'pure-JS (parseNifti)',
    read: async (bytes, name) => {
      try {
        return { volume: parseNifti(bytes, name), name };
      } catch (error) {
        return { error, name };
      }
    },
  },
  {
    engine: 'Node zlib (readNifti)',
    read: async (bytes, name) => {
      const path = join(dir, `${fileCounter++}-${name.replace(/\//g, '_')}`);
      writeFileSync(path, bytes);
      try {
        return { volume: await readNifti(path), name: path };
      } catch (error) {
        return { error, name: path };
      }
    },
  },
];

function expectRefused(result: { error?: unknown; name: string }, field: string, pattern: RegExp): void {
  expect(result.error, `${result.name} was accepted`).toBeInstanceOf(NiftiError);
  const e = result.error as NiftiError;
  expect(e.file).toBe(result.name);
  expect(e.field).toBe(field);
  expect(e.message.startsWith(`readNifti: ${result.name}: ${field}: `)).toBe(true);
  expect(e.message).toMatch(pattern);
}

function expectOriginal(result: { volume?: Volume; error?: unknown; name: string }): void {
  expect(result.error).toBeUndefined();
  expect(Array.from(result.volume!.data)).toEqual(Array.from(volume.data));
  expect(result.volume!.shape).toEqual([5, 4, 3]);
}

describe.each(engines)('gzip verification, $engine', ({ read }) => {
  const refusals: Array<[string, Uint8Array, string, RegExp]> = [
    ['bad CRC32', edit(good, (b) => (b[b.length - 8]! ^= 0x01)), 'gzip', /^readNifti: .*: gzip: gzip member 1: CRC32 mismatch \(stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}\)$/],
    ['bad ISIZE', edit(good, (b) => (b[b.length - 4]! ^= 0x10)), 'gzip', /gzip member 1: length mismatch \(ISIZE stored \d+, inflated 592 bytes\)/],
    // A stored (level 0) block holds the data as is: a flipped bit in it still inflates, to wrong voxels.
    ['flipped bit in stored deflate data', edit(gz(raw, 0), (b) => (b[400]! ^= 0x04)), 'gzip', /gzip member 1: CRC32 mismatch/],
    ['member cut inside its trailer', good.subarray(0, good.length - 3), 'gzip', /gzip member 1: truncated: the stream ends 5 byte\(s\) into its 8-byte CRC32\/ISIZE trailer/],
    ['member cut inside its deflate data', good.subarray(0, good.length - 20), 'gzip', /gzip member 1: corrupt or truncated gzip stream/],
    ['second member cut short', cat(gz(raw.subarray(0, 100)), gz(raw.subarray(100)).subarray(0, 30)), 'gzip', /gzip member 2: corrupt or truncated gzip stream/],
    ['extra valid member appended', cat(good, gz(Uint8Array.from([1, 2, 3, 4]))), 'data', /need 240 bytes after vox_offset 352; the file holds more/],
    ['garbage appended', cat(good, new TextEncoder().encode('garbage')), 'gzip', /trailing garbage: 7 byte\(s\) at offset \d+ after gzip member 1 are neither NUL padding nor a gzip member \(they start 67 61 72 62\)/],
    ['garbage after NUL padding', cat(good, [0, 0, 0, 0x78]), 'gzip', /trailing garbage: 1 byte\(s\) at offset \d+ after gzip member 1/],
    ['a lone 0x1f appended', cat(good, [0x1f]), 'gzip', /trailing garbage: 1 byte\(s\)/],
    ['a bare gzip magic appended', cat(good, [0x1f, 0x8b]), 'gzip', /gzip member 2: truncated header/],
    ['a member with another compression method appended', cat(good, edit(gz(new Uint8Array(0)), (b) => (b[2] = 7))), 'gzip', /gzip member 2: unknown compression method 7/],
  ];
  it.each(refusals)('refuses %s', async (label, bytes, field, pattern) => {
    expectRefused(await read(bytes, `broken/${label.replace(/ /g, '-')}.nii.gz`), field, pattern);
  });

  it('reads NUL padding after the last member, and after a member before the next one (as Python does)', async () => {
    expectOriginal(await read(cat(good, new Uint8Array(37)), 'padded.nii.gz'));
    expectOriginal(await read(cat(gz(raw.subarray(0, 100)), new Uint8Array(5), gz(raw.subarray(100)), [0]), 'padded-members.nii.gz'));
  });

  it('reads members holding nothing, and a stream with the optional header fields set', async () => {
    expectOriginal(await read(cat(gz(new Uint8Array(0)), good, gz(new Uint8Array(0))), 'empty-members.nii.gz'));
    // FEXTRA, FNAME, FCOMMENT and FHCRC: 10-byte header, then the fields, then the same deflate data.
    const body = good.subarray(10);
    const header = [0x1f, 0x8b, 8, 4 | 8 | 16 | 2, 0, 0, 0, 0, 0, 3, 3, 0, 9, 9, 9, ...new TextEncoder().encode('a.nii'), 0, 0x63, 0, 0xab, 0xcd];
    expectOriginal(await read(cat(header, body), 'fields.nii.gz'));
  });

  it('refuses every single-bit flip in the compressed data and trailer of a small file, unless it leaves the data intact', async () => {
    const small = encodeNifti(createVolume(Uint8Array.from({ length: 24 }, (_, i) => i * 7), [4, 3, 2]));
    const zipped = gz(small);
    const original = parseNifti(small, 'flip/original.nii');
    let refused = 0;
    for (let at = 10; at < zipped.length; at++) {
      for (let bit = 0; bit < 8; bit++) {
        const result = await read(edit(zipped, (b) => (b[at]! ^= 1 << bit)), `flip/${at}-${bit}.nii.gz`);
        if (result.error === undefined) {
          // A flip may only be accepted when it inflates to the same bytes (the padding bits after the last
          // block, or a back-reference moved to equal bytes in the zero-filled header): same header, same voxels.
          expect(Array.from(result.volume!.data), `flip of bit ${bit} at byte ${at}`).toEqual(Array.from(original.data));
          expect(result.volume!.header, `flip of bit ${bit} at byte ${at}`).toEqual(original.header);
        } else {
          expect(result.error).toBeInstanceOf(NiftiError);
          refused++;
        }
      }
    }
    expect(refused).toBeGreaterThan(0.95 * (zipped.length - 10) * 8);
  });

  it('reads large multi-member streams whose members cross the inflater chunks', async () => {
    const rng = new Random(5);
    const noise = createVolume(Float32Array.from({ length: 64 * 64 * 10 }, () => rng.next()), [64, 64, 10]);
    const bytes = encodeNifti(noise);
    const cut = [0, 70_001, 70_002, 150_000, bytes.length];
    const members = cut.slice(1).map((end, i) => gz(bytes.subarray(cut[i], end), i % 2 === 0 ? 1 : 0));
    const result = await read(cat(...members.flatMap((m, i) => (i === 1 ? [m, new Uint8Array(3)] : [m]))), 'noise.nii.gz');
    expect(result.error).toBeUndefined();
    expect(Array.from(result.volume!.data)).toEqual(Array.from(noise.data));
  });
});

describe("Node's own gunzip (why readNifti walks the members itself)", () => {
  it('stops silently at NUL padding, dropping a member or garbage that follows', () => {
    const second = gz(Uint8Array.from([9, 9, 9]));
    expect(zlibGunzip(cat(good, [0, 0], second)).length).toBe(raw.length);
    expect(zlibGunzip(cat(good, [0, 0], new TextEncoder().encode('garbage'))).length).toBe(raw.length);
  });
});

describe('crc32', () => {
  it('matches the standard check value and composes over pieces', () => {
    const text = new TextEncoder().encode('123456789');
    expect(crc32(text)).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    const rng = new Random(3);
    const data = Uint8Array.from({ length: 1001 }, () => rng.int(0, 255));
    expect(crc32(data.subarray(333), crc32(data.subarray(0, 333)))).toBe(crc32(data));
  });
});
