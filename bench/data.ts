/**
 * Data-layer throughput: write and read a 256³ float32 .nii.gz (gzip level 1: Node's zlib in
 * `writeNifti`/`readNifti`, the pure-JS fflate path of browsers in `encodeNifti`/`parseNifti`, both with
 * every gzip member's CRC32 and length verified on reading), and sample 1,000 64³ patches (foreground
 * mode) from that volume. Seconds and MB/s of voxel data.
 * `npm run bench -- data [--json]`.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Random } from '../src/common/index.js';
import { createVolume, encodeNifti, parseNifti, PatchSampler } from '../src/data/index.js';
import { readNifti, writeNifti } from '../src/data/node/niftiFiles.js';
import { note, printRows, timeMs, type BenchRow } from './_common.js';

const N = 256;
const dir = mkdtempSync(join(tmpdir(), 'gendice-bench-data-'));
try {
  const rng = new Random(1);
  const voxels = N ** 3;
  const image = new Float32Array(voxels);
  const label = new Uint8Array(voxels);
  // A smooth image with noise (compresses like real MR, i.e. poorly), and a 0.2 % foreground ball.
  const r = Math.cbrt((0.002 * voxels * 3) / (4 * Math.PI));
  for (let z = 0, i = 0; z < N; z++) {
    for (let y = 0; y < N; y++) {
      for (let x = 0; x < N; x++, i++) {
        image[i] = 100 * Math.sin(x / 20) * Math.cos(y / 30) + z * 0.1 + 5 * rng.next();
        const dx = x - 128;
        const dy = y - 100;
        const dz = z - 140;
        if (dx * dx + dy * dy + dz * dz <= r * r) label[i] = 1;
      }
    }
  }
  const volume = createVolume(image, [N, N, N], { spacing: [1, 1, 1] });
  const mb = (voxels * 4) / 1e6;
  const path = join(dir, 'bench.nii.gz');
  note(`data bench: ${N}³ float32 = ${mb.toFixed(1)} MB`);
  const writeMs = await timeMs(() => writeNifti(path, volume), 3, 0);
  const fileMb = statSync(path).size / 1e6;
  note(`written: ${fileMb.toFixed(1)} MB compressed`);
  const readMs = await timeMs(() => readNifti(path), 3, 1);
  const encodePureMs = await timeMs(() => encodeNifti(volume, { gzip: true }), 3, 0);
  const fileBytes = new Uint8Array(readFileSync(path));
  const parsePureMs = await timeMs(() => parseNifti(fileBytes, path), 3, 1);
  const rawPath = join(dir, 'bench.nii');
  const writeRawMs = await timeMs(() => writeNifti(rawPath, volume), 3, 0);
  const readRawMs = await timeMs(() => readNifti(rawPath), 3, 1);

  const t0 = performance.now();
  const sampler = new PatchSampler([{ image: volume, label: createVolume(label, [N, N, N]) }], {
    patchSize: [64, 64, 64],
    batchSize: 10,
    mode: 'foreground',
    seed: 0,
  });
  const prepareMs = performance.now() - t0;
  const sampleMs = await timeMs(() => {
    for (let b = 0; b < 100; b++) sampler.next();
  }, 1, 0);
  const patchMb = (1000 * 64 ** 3 * 4) / 1e6;
  const stats = sampler.statistics();
  note(`sampler: ${stats.patches} patches, median foreground fraction ${stats.median.toPrecision(3)}`);

  const rows: BenchRow[] = [
    { name: 'write 256³ float32 .nii.gz', seconds: writeMs / 1000, MB: mb, 'MB/s': mb / (writeMs / 1000) },
    { name: 'read 256³ float32 .nii.gz', seconds: readMs / 1000, MB: mb, 'MB/s': mb / (readMs / 1000) },
    { name: 'encode 256³ float32 .nii.gz (pure-JS)', seconds: encodePureMs / 1000, MB: mb, 'MB/s': mb / (encodePureMs / 1000) },
    { name: 'parse 256³ float32 .nii.gz (pure-JS)', seconds: parsePureMs / 1000, MB: mb, 'MB/s': mb / (parsePureMs / 1000) },
    { name: 'write 256³ float32 .nii', seconds: writeRawMs / 1000, MB: mb, 'MB/s': mb / (writeRawMs / 1000) },
    { name: 'read 256³ float32 .nii', seconds: readRawMs / 1000, MB: mb, 'MB/s': mb / (readRawMs / 1000) },
    { name: 'sampler setup (256³, 1 case)', seconds: prepareMs / 1000, MB: mb, 'MB/s': mb / (prepareMs / 1000) },
    { name: 'sample 1000 64³ patches', seconds: sampleMs / 1000, MB: patchMb, 'MB/s': patchMb / (sampleMs / 1000) },
  ];
  printRows('data', rows);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
