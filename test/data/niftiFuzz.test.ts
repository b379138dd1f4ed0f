import { gzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { Random } from '../../src/common/index.js';
import { createVolume, encodeNifti, NIFTI_DATATYPES, NiftiError, parseNifti, type Volume } from '../../src/data/index.js';

/**
 * Mutation fuzzing of the reader: random byte flips, overwrites with special values, truncations and
 * extensions of small valid files. Every mutant must either read to a consistent volume or be refused
 * with a NiftiError naming the file, within a time bound. GENDICE_FUZZ_ITERATIONS raises the count.
 */
const ITERATIONS = Number(process.env.GENDICE_FUZZ_ITERATIONS ?? 3000);
const PER_FILE_MS = 250;

function seeds(): Array<{ name: string; bytes: Uint8Array }> {
  const out: Array<{ name: string; bytes: Uint8Array }> = [];
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
    out.push({ name: `${datatype}-v${version}.nii`, bytes: raw });
    out.push({ name: `${datatype}-v${version}.nii.gz`, bytes: gzipSync(raw) });
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
    let slowest = 0;
    const fields = new Map<string, number>();
    for (let it = 0; it < ITERATIONS; it++) {
      const seed = files[rng.int(0, files.length - 1)]!;
      const bytes = mutate(rng, seed.bytes);
      const name = `fuzz/${it}-${seed.name}`;
      const t0 = performance.now();
      try {
        const v = parseNifti(bytes, name);
        const voxels = v.shape.reduce((a, b) => a * b, 1) * v.channels;
        expect(v.data.length).toBe(voxels);
        expect(v.spacing.every((s) => Number.isFinite(s) && s > 0)).toBe(true);
        expect(v.affine.every(Number.isFinite)).toBe(true);
        accepted++;
      } catch (err) {
        if (!(err instanceof NiftiError)) throw new Error(`${name}: not a NiftiError: ${String(err)}`);
        expect(err.file).toBe(name);
        expect(err.message.startsWith(`readNifti: ${name}: ${err.field}: `)).toBe(true);
        fields.set(err.field, (fields.get(err.field) ?? 0) + 1);
        refused++;
      }
      const ms = performance.now() - t0;
      slowest = Math.max(slowest, ms);
      expect(ms, `${name} took ${ms.toFixed(0)} ms`).toBeLessThan(PER_FILE_MS);
    }
    expect(accepted + refused).toBe(ITERATIONS);
    // Both outcomes must occur, and the refusals must come from several distinct checks.
    expect(accepted).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(ITERATIONS / 4);
    expect(fields.size).toBeGreaterThanOrEqual(5);
    expect(slowest).toBeLessThan(PER_FILE_MS);
  });
});
