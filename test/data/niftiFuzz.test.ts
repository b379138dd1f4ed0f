import { gzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { Random } from '../../src/common/index.js';
import { createVolume, encodeNifti, NIFTI_DATATYPES, NiftiError, parseNifti, type Volume } from '../../src/data/index.js';
import { parseNiftiWith } from '../../src/data/nifti/parse.js';
import { zlibInflater } from '../../src/data/node/zlibInflater.js';

/**
 * Mutation fuzzing of the reader: random byte flips, overwrites with special values, truncations and
 * extensions of small valid files. Every mutant must either read to a consistent volume or be refused
 * with a NiftiError naming the file, within a time bound. A mutated gzip stream may only be accepted when
 * it inflates to the original file (same header, same voxels: a flip in the gzip header's MTIME, say), and
 * the pure-JS and Node zlib engines must give every gzip mutant the same verdict. GENDICE_FUZZ_ITERATIONS raises the count.
 */
const ITERATIONS = Number(process.env.GENDICE_FUZZ_ITERATIONS ?? 3000);
const PER_FILE_MS = 250;

interface Seed {
  name: string;
  bytes: Uint8Array;
  /** The volume read from the unmutated file. */
  original: Volume;
}

function seeds(): Seed[] {
  const out: Seed[] = [];
  const rng = new Random(11);
  NIFTI_DATATYPES.forEach((datatype, d) => {
    const version = d % 2 === 0 ? 1 : 2;
    const littleEndian = d % 3 !== 0;
    const shape = d % 4 === 0 ? [5, 3] : [4, 3, 2];
    const n = shape.reduce((a, b) => a * b, 1) * (d === 5 ? 2 : 1);
    const values = Array.from({ length: n }, () => rng.int(0, 100));
    const data = datatype === 'float32' ? Float32Array.from(values) : datatype === 'float64' ? Float64Array.from(values) : datatype === 'int8' ? Int8Array.from(values) : datatype === 'uint8' ? Uint8Array.from(values) : datatype === 'int16' ? Int16Array.from(values) : datatype === 'uint16' ? Uint16Array.from(values) : datatype === 'int32' ? Int32Array.from(values) : Uint32Array.from(values);
    const volume: Volume = createVolume(data, shape, { channels: d === 5 ? 2 : 1, spacing: shape.map(() => 1.25) });
    const raw = encodeNifti(volume, { version, littleEndian });
    const original = parseNifti(raw, 'original');
    out.push({ name: `${datatype}-v${version}.nii`, bytes: raw, original });
    out.push({ name: `${datatype}-v${version}.nii.gz`, bytes: gzipSync(raw), original });
  });
  return out;
}

function mutate(rng: Random, bytes: Uint8Array): Uint8Array {
  const kind = rng.int(0, 5);
  if (kind === 0) return bytes.subarray(0, rng.int(0, bytes.length - 1)); // truncation
  if (kind === 1) {
    // a few trailing bytes
    const out = new Uint8Array(bytes.length + rng.int(1, 16));
    out.set(bytes);
    return out;
  }
  const out = bytes.slice();
  const flips = kind === 2 ? 1 : rng.int(1, 8);
  const specials = [0, 0xff, 0x7f, 0x80, 0x7f, 0xc0];
  for (let f = 0; f < flips; f++) {
    const at = rng.next() < 0.7 ? rng.int(0, Math.min(out.length, 560) - 1) : rng.int(0, out.length - 1);
    if (kind === 3) out[at] = specials[rng.int(0, specials.length - 1)]!;
    else out[at] = out[at]! ^ (1 << rng.int(0, 7));
  }
  return out;
}

describe('NIfTI reader mutation fuzz', () => {
  it(`${ITERATIONS} mutants of valid files are each read consistently or refused clearly`, () => {
    const files = seeds();
    const rng = new Random(2024);
    let accepted = 0;
    let refused = 0;
    let gzipAccepted = 0;
    let slowest = 0;
    const fields = new Map<string, number>();
    for (let it = 0; it < ITERATIONS; it++) {
      const seed = files[rng.int(0, files.length - 1)]!;
      const bytes = mutate(rng, seed.bytes);
      const name = `fuzz/${it}-${seed.name}`;
      const gzip = seed.name.endsWith('.gz');
      const t0 = performance.now();
      let field: string | undefined;
      let volume: Volume | undefined;
      try {
        volume = parseNifti(bytes, name);
        const voxels = volume.shape.reduce((a, b) => a * b, 1) * volume.channels;
        expect(volume.data.length).toBe(voxels);
        expect(volume.spacing.every((s) => Number.isFinite(s) && s > 0)).toBe(true);
        expect(volume.affine.every(Number.isFinite)).toBe(true);
        if (gzip) {
          expect(new Uint8Array(volume.data.buffer, volume.data.byteOffset, volume.data.byteLength), `${name} accepted with other voxels`).toEqual(
            new Uint8Array(seed.original.data.buffer, seed.original.data.byteOffset, seed.original.data.byteLength),
          );
          expect(volume.header, `${name} accepted with another header`).toEqual(seed.original.header);
          gzipAccepted++;
        }
        accepted++;
      } catch (err) {
        if (!(err instanceof NiftiError)) throw new Error(`${name}: not a NiftiError: ${String(err)}`);
        expect(err.file).toBe(name);
        expect(err.message.startsWith(`readNifti: ${name}: ${err.field}: `)).toBe(true);
        fields.set(err.field, (fields.get(err.field) ?? 0) + 1);
        field = err.field;
        refused++;
      }
      const ms = performance.now() - t0;
      slowest = Math.max(slowest, ms);
      expect(ms, `${name} took ${ms.toFixed(0)} ms`).toBeLessThan(PER_FILE_MS);
      if (gzip) {
        // Node's zlib path gives the same verdict and data (the field may differ when a stream is both too
        // long and corrupt further on: fflate stops at the length limit, zlib finds the corruption first).
        let zlibRefused = false;
        try {
          const v = parseNiftiWith(bytes, name, {}, zlibInflater);
          expect(Array.from(v.data), `${name}: zlib read other voxels`).toEqual(Array.from(volume?.data ?? []));
        } catch (err) {
          if (!(err instanceof NiftiError)) throw new Error(`${name} (zlib): not a NiftiError: ${String(err)}`);
          zlibRefused = true;
        }
        expect(zlibRefused, `${name}: zlib and pure-JS verdicts differ`).toBe(field !== undefined);
      }
    }
    expect(accepted + refused).toBe(ITERATIONS);
    // Both outcomes must occur, and the refusals must come from several distinct checks.
    expect(accepted).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(ITERATIONS / 4);
    expect(fields.size).toBeGreaterThanOrEqual(5);
    expect(fields.get('gzip') ?? 0).toBeGreaterThan(0);
    expect(gzipAccepted).toBeGreaterThan(0);
    expect(slowest).toBeLessThan(PER_FILE_MS);
  });
});
