import type { Random } from '../common/random.js';
import type { ResolvedAugmentation } from './augmentationConfig.js';

/**
 * The intensity part of augmentation, on one patch of a batch (channels last, `voxels` voxels of
 * `channels` channels from `at`), as nnU-Net v2's default pipeline does it: each transform is applied to
 * the patch with its probability, then to each channel with its own parameters. Images only.
 */
export interface PatchView {
  images: Float32Array;
  /** First voxel of the patch. */
  at: number;
  voxels: number;
  channels: number;
  /** Spatial extents [x, y, z] (z = 1 for 2D). */
  shape: readonly number[];
}

const uniform = (rng: Random, r: readonly [number, number]): number => r[0] + (r[1] - r[0]) * rng.next();

/** nnU-Net's `BGContrast`: half the draws in [lo, 1), half in [1, hi] (when the range spans 1). */
export function drawFactor(rng: Random, r: readonly [number, number]): number {
  const below = rng.next() < 0.5;
  if (r[0] < 1 && (below || r[1] <= 1)) return uniform(rng, [r[0], Math.min(r[1], 1)]);
  return uniform(rng, [Math.max(r[0], 1), r[1]]);
}

/** Mean, unbiased standard deviation, minimum and maximum of one channel. */
function channelStats(p: PatchView, c: number): { mean: number; std: number; min: number; max: number } {
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let v = 0, i = p.at * p.channels + c; v < p.voxels; v++, i += p.channels) {
    const x = p.images[i]!;
    sum += x;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const mean = sum / p.voxels;
  let ss = 0;
  for (let v = 0, i = p.at * p.channels + c; v < p.voxels; v++, i += p.channels) ss += (p.images[i]! - mean) ** 2;
  return { mean, std: Math.sqrt(ss / Math.max(1, p.voxels - 1)), min, max };
}

/** Applies `f` to every value of channel `c`. */
function mapChannel(p: PatchView, c: number, f: (x: number) => number): void {
  for (let v = 0, i = p.at * p.channels + c; v < p.voxels; v++, i += p.channels) p.images[i] = f(p.images[i]!);
}

/** Additive Gaussian noise of one standard deviation drawn in `sigma`, one field for all channels (nnU-Net: synchronised channels). */
function noise(p: PatchView, spec: NonNullable<ResolvedAugmentation['noise']>, rng: Random): void {
  const sigma = uniform(rng, spec.sigma);
  for (let v = 0; v < p.voxels; v++) {
    const n = sigma * rng.normal();
    for (let c = 0, i = (p.at + v) * p.channels; c < p.channels; c++, i++) p.images[i] = p.images[i]! + n;
  }
}

/** Index `i` reflected into [0, n) without repeating the edge (torch's 'reflect' padding). */
function reflect(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  const r = ((i % period) + period) % period;
  return r < n ? r : period - r;
}

/** Separable Gaussian blur of channel `c` along `axis`, kernel radius ⌈3σ⌉, reflected at the edges. */
function blurAxis(p: PatchView, c: number, axis: number, sigma: number): void {
  const n = p.shape[axis]!;
  if (n === 1) return;
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const kernel = Array.from({ length: 2 * radius + 1 }, (_, k) => Math.exp(-0.5 * ((k - radius) / sigma) ** 2));
  const total = kernel.reduce((a, b) => a + b, 0);
  const [, sy, sz] = p.shape as [number, number, number];
  const stride = [sy * sz, sz, 1][axis]!;
  const line = new Float64Array(n);
  // Every line along `axis`: the voxels whose coordinate on `axis` is 0.
  for (let v = 0; v < p.voxels; v++) {
    if (Math.floor(v / stride) % n !== 0) continue;
    for (let k = 0; k < n; k++) line[k] = p.images[(p.at + v + k * stride) * p.channels + c]!;
    for (let k = 0; k < n; k++) {
      let s = 0;
      for (let t = -radius; t <= radius; t++) s += kernel[t + radius]! * line[reflect(k + t, n)]!;
      p.images[(p.at + v + k * stride) * p.channels + c] = s / total;
    }
  }
}

function blur(p: PatchView, spec: NonNullable<ResolvedAugmentation['blur']>, rng: Random): void {
  for (let c = 0; c < p.channels; c++) {
    if (rng.next() >= spec.channelProbability) continue;
    // nnU-Net: a sigma per axis (not synchronised), per channel.
    const sigmas = p.shape.map(() => uniform(rng, spec.sigma));
    sigmas.forEach((sigma, axis) => blurAxis(p, c, axis, sigma));
  }
}

function brightness(p: PatchView, spec: NonNullable<ResolvedAugmentation['brightness']>, rng: Random): void {
  for (let c = 0; c < p.channels; c++) {
    const f = drawFactor(rng, spec.range);
    mapChannel(p, c, (x) => x * f);
  }
}

function contrast(p: PatchView, spec: NonNullable<ResolvedAugmentation['contrast']>, rng: Random): void {
  for (let c = 0; c < p.channels; c++) {
    const f = drawFactor(rng, spec.range);
    const { mean, min, max } = channelStats(p, c);
    mapChannel(p, c, spec.preserveRange ? (x) => Math.min(max, Math.max(min, (x - mean) * f + mean)) : (x) => (x - mean) * f + mean);
  }
}

/**
 * nnU-Net's `SimulateLowResolutionTransform`, per channel with `channelProbability`: one zoom z for the
 * listed axes, the channel taken to round(n·z) voxels by nearest neighbour, then back by linear
 * interpolation (half-voxel-centred coordinates clamped at the edges, as torch's `interpolate`).
 */
function lowResolution(p: PatchView, spec: NonNullable<ResolvedAugmentation['lowResolution']>, rng: Random): void {
  const shape = p.shape as [number, number, number];
  for (let c = 0; c < p.channels; c++) {
    if (rng.next() >= spec.channelProbability) continue;
    const z = uniform(rng, spec.zoom);
    const coarse = shape.map((n, a) => (spec.axes.includes(a) ? Math.max(1, Math.round(n * z)) : n)) as [number, number, number];
    const small = new Float64Array(coarse[0] * coarse[1] * coarse[2]);
    const nearest = (o: number, nOut: number, nIn: number): number => Math.min(nIn - 1, Math.floor(((o + 0.5) * nIn) / nOut));
    for (let x = 0, v = 0; x < coarse[0]; x++) {
      const sx = nearest(x, coarse[0], shape[0]);
      for (let y = 0; y < coarse[1]; y++) {
        const sy = nearest(y, coarse[1], shape[1]);
        for (let k = 0; k < coarse[2]; k++, v++) small[v] = p.images[(p.at + (sx * shape[1] + sy) * shape[2] + nearest(k, coarse[2], shape[2])) * p.channels + c]!;
      }
    }
    // Per axis: the two coarse voxels each fine voxel reads and the weight of the upper one.
    const taps = shape.map((n, a) =>
      Array.from({ length: n }, (_, o) => {
        const s = Math.min(coarse[a]! - 1, Math.max(0, ((o + 0.5) * coarse[a]!) / n - 0.5));
        const lo = Math.floor(s);
        return [lo, Math.min(lo + 1, coarse[a]! - 1), s - lo] as const;
      }),
    );
    const [cy, cz] = [coarse[1], coarse[2]];
    for (let x = 0, v = 0; x < shape[0]; x++) {
      const [x0, x1, fx] = taps[0]![x]!;
      for (let y = 0; y < shape[1]; y++) {
        const [y0, y1, fy] = taps[1]![y]!;
        const r00 = (x0 * cy + y0) * cz;
        const r01 = (x0 * cy + y1) * cz;
        const r10 = (x1 * cy + y0) * cz;
        const r11 = (x1 * cy + y1) * cz;
        for (let k = 0; k < shape[2]; k++, v++) {
          const [z0, z1, fz] = taps[2]![k]!;
          const a = small[r00 + z0]! * (1 - fz) + small[r00 + z1]! * fz;
          const b = small[r01 + z0]! * (1 - fz) + small[r01 + z1]! * fz;
          const d = small[r10 + z0]! * (1 - fz) + small[r10 + z1]! * fz;
          const e = small[r11 + z0]! * (1 - fz) + small[r11 + z1]! * fz;
          p.images[(p.at + v) * p.channels + c] = (a * (1 - fy) + b * fy) * (1 - fx) + (d * (1 - fy) + e * fy) * fx;
        }
      }
    }
  }
}

/** x ↦ ((x − min)/range)^γ·range + min per channel, the mean and standard deviation restored (`retainStats`); on −x when `invert`. */
function gamma(p: PatchView, spec: NonNullable<ResolvedAugmentation['gamma']>, invert: boolean, rng: Random): void {
  for (let c = 0; c < p.channels; c++) {
    const g = drawFactor(rng, spec.range);
    if (invert) mapChannel(p, c, (x) => -x);
    const before = channelStats(p, c);
    const range = Math.max(before.max - before.min, 1e-7);
    mapChannel(p, c, (x) => ((x - before.min) / range) ** g * range + before.min);
    if (spec.retainStats) {
      const after = channelStats(p, c);
      const k = before.std / Math.max(after.std, 1e-7);
      mapChannel(p, c, (x) => (x - after.mean) * k + before.mean);
    }
    if (invert) mapChannel(p, c, (x) => -x);
  }
}

/** The intensity transforms in nnU-Net's order: noise, blur, brightness, contrast, low resolution, inverted gamma, gamma. */
export function augmentIntensities(p: PatchView, spec: ResolvedAugmentation, rng: Random): void {
  if (spec.noise && rng.next() < spec.noise.probability) noise(p, spec.noise, rng);
  if (spec.blur && rng.next() < spec.blur.probability) blur(p, spec.blur, rng);
  if (spec.brightness && rng.next() < spec.brightness.probability) brightness(p, spec.brightness, rng);
  if (spec.contrast && rng.next() < spec.contrast.probability) contrast(p, spec.contrast, rng);
  if (spec.lowResolution && rng.next() < spec.lowResolution.probability) lowResolution(p, spec.lowResolution, rng);
  if (spec.invertedGamma && rng.next() < spec.invertedGamma.probability) gamma(p, spec.invertedGamma, true, rng);
  if (spec.gamma && rng.next() < spec.gamma.probability) gamma(p, spec.gamma, false, rng);
}
