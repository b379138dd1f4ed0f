/**
 * Metrics benchmark: HD95 and the average surface distance on a pair of 256³ masks with anisotropic
 * spacing (large perturbed ellipsoids, so the union's bounding box is ~200³ and cropping does not help),
 * the same on a small lesion in 256³, and Dice on a pair of 512³ label maps. Seconds (median) and voxels/s.
 * Target (issue 4): HD95 on 256³ in under 3 s.
 */
import { averageSurfaceDistance, dice, hausdorffDistance } from '../src/metrics/index.js';
import { note, printRows, timeMs } from './_common.js';
import type { BenchRow } from './_common.js';

const spacing = [2.0, 0.9, 0.8];

function ellipsoidPair(n: number, radius: number): { p: Uint8Array; r: Uint8Array } {
  const p = new Uint8Array(n * n * n);
  const r = new Uint8Array(n * n * n);
  const c = n / 2;
  for (let z = 0, i = 0; z < n; z++) {
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < n; x++, i++) {
        const a = ((z - c) / radius) ** 2 + ((y - c) / (0.9 * radius)) ** 2 + ((x - c) / (0.8 * radius)) ** 2;
        const b = ((z - c + 4) / (0.98 * radius)) ** 2 + ((y - c - 3) / (0.93 * radius)) ** 2 + ((x - c + 2) / (0.77 * radius)) ** 2 + 0.05 * Math.sin(x / 5) * Math.cos(y / 7);
        p[i] = a <= 1 ? 1 : 0;
        r[i] = b <= 1 ? 1 : 0;
      }
    }
  }
  return { p, r };
}

function labelMaps(n: number): { p: Uint8Array; r: Uint8Array } {
  const p = new Uint8Array(n * n * n);
  const r = new Uint8Array(n * n * n);
  const c = n / 2;
  for (let z = 0, i = 0; z < n; z++) {
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < n; x++, i++) {
        const d = ((z - c) ** 2 + (y - c) ** 2 + (x - c) ** 2) / (c * c);
        r[i] = d < 0.1 ? 2 : d < 0.5 ? 1 : 0;
        p[i] = d < 0.11 ? 2 : d < 0.48 ? 1 : 0;
      }
    }
  }
  return { p, r };
}

async function main(): Promise<void> {
  const rows: BenchRow[] = [];
  const n = 256;
  const voxels = n ** 3;
  const shape = [1, n, n, n, 1];
  const cases: [string, number][] = [
    ['large structure', 100],
    ['small lesion', 6],
  ];
  for (const [label, radius] of cases) {
    note(`building a 256³ pair (${label}) ...`);
    const { p, r } = ellipsoidPair(n, radius);
    const pred = { data: p, shape };
    const ref = { data: r, shape };
    let hd = 0;
    let asd = 0;
    const tHd = await timeMs(() => (hd = hausdorffDistance(pred, ref, { percentile: 95, spacing }).values[0]![0]!), 3, 1);
    rows.push({ name: `HD95 256³ ${label}`, seconds: tHd / 1000, voxelsPerSecond: voxels / (tHd / 1000), value: hd, spacing: spacing.join('x') });
    const tAsd = await timeMs(() => (asd = averageSurfaceDistance(pred, ref, { spacing }).values[0]![0]!), 3, 1);
    rows.push({ name: `ASD 256³ ${label}`, seconds: tAsd / 1000, voxelsPerSecond: voxels / (tAsd / 1000), value: asd, spacing: spacing.join('x') });
    note(`${label}: HD95 ${hd.toFixed(3)} mm in ${(tHd / 1000).toFixed(2)} s, ASD ${asd.toFixed(3)} mm in ${(tAsd / 1000).toFixed(2)} s`);
  }
  const m = 512;
  note('building a 512³ pair of 3-class label maps ...');
  const { p, r } = labelMaps(m);
  const shape512 = [1, m, m, m, 1];
  let d = 0;
  const tDice = await timeMs(() => (d = dice({ data: p, shape: shape512 }, { data: r, shape: shape512 }, { numClasses: 3, includeBackground: false }).values[0]![1]!), 3, 1);
  rows.push({ name: 'Dice 512³ (3 classes)', seconds: tDice / 1000, voxelsPerSecond: m ** 3 / (tDice / 1000), value: d, spacing: '' });
  printRows('metrics', rows);
}

await main();
