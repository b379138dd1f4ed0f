import { percentile } from '../common/stats.js';
import { voxelsPerChannel, withData, type Volume } from './volume.js';

/** Which voxels statistics are computed over: all, the non-zero ones (per channel), or an explicit mask (1 = in). */
export type NormalizationMask = 'all' | 'nonzero' | Uint8Array;

function maskFor(volume: Volume, mask: NormalizationMask, channel: number, op: string): (i: number) => boolean {
  const n = voxelsPerChannel(volume.shape);
  const offset = channel * n;
  if (mask === 'all') return () => true;
  if (mask === 'nonzero') return (i) => volume.data[offset + i] !== 0;
  if (!(mask instanceof Uint8Array) || mask.length !== n) {
    throw new Error(`${op}: mask must be 'all', 'nonzero' or a Uint8Array of ${n} voxels, got ${mask instanceof Uint8Array ? `length ${mask.length}` : String(mask)}`);
  }
  return (i) => mask[i] !== 0;
}

/**
 * z-score normalisation per channel: (x − μ) / σ with μ, σ (population) over the mask; voxels outside
 * the mask are normalised with the same μ, σ. A channel with σ = 0 (or an empty mask) becomes zeros.
 * Returns a float32 volume. Default mask 'all'.
 */
export function zScore(volume: Volume, options: { mask?: NormalizationMask } = {}): Volume {
  const mask = options.mask ?? 'all';
  const n = voxelsPerChannel(volume.shape);
  const out = new Float32Array(volume.data.length);
  for (let c = 0; c < volume.channels; c++) {
    const inMask = maskFor(volume, mask, c, 'zScore');
    const off = c * n;
    let count = 0;
    let mean = 0;
    let m2 = 0;
    for (let i = 0; i < n; i++) {
      if (!inMask(i)) continue;
      const x = volume.data[off + i]!;
      count++;
      const d = x - mean;
      mean += d / count;
      m2 += d * (x - mean);
    }
    const sd = count > 0 ? Math.sqrt(m2 / count) : 0;
    if (!(sd > 0)) continue;
    for (let i = 0; i < n; i++) out[off + i] = (volume.data[off + i]! - mean) / sd;
  }
  return withData(volume, out);
}

/**
 * Clips each channel to its [lower, upper] percentiles (defaults 0.5 and 99.5) computed over the mask.
 * Returns a float32 volume.
 */
export function clipPercentiles(volume: Volume, options: { lower?: number; upper?: number; mask?: NormalizationMask } = {}): Volume {
  const lower = options.lower ?? 0.5;
  const upper = options.upper ?? 99.5;
  if (!(lower >= 0 && upper <= 100 && lower < upper)) {
    throw new Error(`clipPercentiles: need 0 ≤ lower < upper ≤ 100, got lower ${lower}, upper ${upper}`);
  }
  const mask = options.mask ?? 'all';
  const n = voxelsPerChannel(volume.shape);
  const out = new Float32Array(volume.data.length);
  for (let c = 0; c < volume.channels; c++) {
    const inMask = maskFor(volume, mask, c, 'clipPercentiles');
    const off = c * n;
    const selected: number[] = [];
    for (let i = 0; i < n; i++) if (inMask(i)) selected.push(volume.data[off + i]!);
    const lo = selected.length > 0 ? percentile(selected, lower) : -Infinity;
    const hi = selected.length > 0 ? percentile(selected, upper) : Infinity;
    for (let i = 0; i < n; i++) out[off + i] = Math.min(hi, Math.max(lo, volume.data[off + i]!));
  }
  return withData(volume, out);
}

/**
 * Maps label values through `mapping` (e.g. {2: 1, 4: 1} to merge tumour classes). Values absent from the
 * mapping: 'error' (default; the error lists them), 'keep', or 'zero' (background). Returns a uint8 volume
 * when every output fits, else int32.
 */
export function remapLabels(
  volume: Volume,
  mapping: Record<number, number> | Map<number, number>,
  options: { unmapped?: 'error' | 'keep' | 'zero' } = {},
): Volume {
  const unmapped = options.unmapped ?? 'error';
  const map = mapping instanceof Map ? mapping : new Map(Object.entries(mapping).map(([k, v]) => [Number(k), v]));
  for (const [k, v] of map) {
    if (!Number.isInteger(k) || !Number.isInteger(v)) throw new Error(`remapLabels: mapping must be integer → integer, got ${k} → ${v}`);
  }
  const out = new Int32Array(volume.data.length);
  const missing = new Set<number>();
  let fitsUint8 = true;
  for (let i = 0; i < volume.data.length; i++) {
    const x = volume.data[i]!;
    let y = map.get(x);
    if (y === undefined) {
      if (unmapped === 'error') {
        missing.add(x);
        continue;
      }
      y = unmapped === 'zero' ? 0 : x;
    }
    if (!Number.isInteger(y) || y < 0 || y > 255) fitsUint8 = false;
    out[i] = y;
  }
  if (missing.size > 0) {
    const list = [...missing].sort((a, b) => a - b).slice(0, 10);
    throw new Error(`remapLabels: values ${list.join(', ')}${missing.size > 10 ? ', ...' : ''} have no mapping (option unmapped: 'keep' | 'zero')`);
  }
  return withData(volume, fitsUint8 ? Uint8Array.from(out) : out);
}
