import { oneOf } from '../common/options.js';
import { Random } from '../common/random.js';
import { createVolume, type Volume } from './volume.js';

/** The lesion shapes of one phantom. */
export const LESION_SHAPES = ['blobs', 'elongated', 'punctate'] as const;
export type LesionShape = (typeof LESION_SHAPES)[number];
/** The lesion shapes of a synthetic dataset: one shape for every case, or 'mixed' (the shapes in turn). */
export const SYNTH_LESION_SHAPES = [...LESION_SHAPES, 'mixed'] as const;
export type SynthLesionShape = (typeof SYNTH_LESION_SHAPES)[number];

export interface PhantomOptions {
  /** 2 or 3. */
  dims: 2 | 3;
  /** Extent per axis (one number for a square/cube). Default 128 in 2D, 64 in 3D. */
  size?: number | number[];
  /** Share of voxels that are lesion (all lesion classes together), in [1e-4, 0.5]. */
  foregroundFraction: number;
  /** Default 'blobs'. */
  lesionShape?: LesionShape;
  /** Number of lesion classes (labels 1..classes), default 1. */
  classes?: number;
  /** Image channels (modalities with different lesion contrasts), default 1. */
  channels?: number;
  /** Default 0. */
  seed?: number;
  /** Gaussian noise standard deviation relative to the organ intensity (default 0.05). */
  noise?: number;
  /** Amplitude of the multiplicative bias field (default 0.15, i.e. ±15 %). */
  biasField?: number;
}

export interface Phantom {
  image: Volume;
  label: Volume;
  /** The foreground fraction obtained (round(fraction · voxels) / voxels). */
  foregroundFraction: number;
  /** Voxel share of each label value (index 0 = background). */
  classFractions: number[];
  /** Number of lesion primitives (blobs, tubes or spots) drawn. */
  lesions: number;
}

interface Grid {
  dims: [number, number, number];
  rank: 2 | 3;
  n: number;
}

/** Smooth random field in [-1, 1]: random values on a coarse lattice, interpolated (multi-)linearly. */
function smoothNoise(rng: Random, g: Grid, cells: number): Float32Array {
  const [X, Y, Z] = g.dims;
  const cz = g.rank === 3 ? cells : 0;
  const lattice = new Float32Array((cells + 1) * (cells + 1) * (cz + 1));
  for (let i = 0; i < lattice.length; i++) lattice[i] = rng.next() * 2 - 1;
  const L = cells + 1;
  const out = new Float32Array(g.n);
  let idx = 0;
  for (let k = 0; k < Z; k++) {
    const fz = Z > 1 ? (k / (Z - 1)) * cz : 0;
    const kz0 = cz > 0 ? Math.min(cz - 1, Math.floor(fz)) : 0;
    const tz = cz > 0 ? fz - kz0 : 0;
    const z0 = kz0 * L * L;
    const z1 = (cz > 0 ? kz0 + 1 : 0) * L * L;
    for (let j = 0; j < Y; j++) {
      const fy = (j / Math.max(1, Y - 1)) * cells;
      const ky = Math.min(cells - 1, Math.floor(fy));
      const ty = fy - ky;
      for (let i = 0; i < X; i++, idx++) {
        const fx = (i / Math.max(1, X - 1)) * cells;
        const kx = Math.min(cells - 1, Math.floor(fx));
        const tx = fx - kx;
        const r0 = kx + L * ky;
        const r1 = r0 + L;
        const p0 =
          (lattice[z0 + r0]! * (1 - tx) + lattice[z0 + r0 + 1]! * tx) * (1 - ty) +
          (lattice[z0 + r1]! * (1 - tx) + lattice[z0 + r1 + 1]! * tx) * ty;
        if (tz === 0) {
          out[idx] = p0;
          continue;
        }
        const p1 =
          (lattice[z1 + r0]! * (1 - tx) + lattice[z1 + r0 + 1]! * tx) * (1 - ty) +
          (lattice[z1 + r1]! * (1 - tx) + lattice[z1 + r1 + 1]! * tx) * ty;
        out[idx] = p0 * (1 - tz) + p1 * tz;
      }
    }
  }
  return out;
}

/** Writes max(field, exp(-Σ((x-c)/σ)²/2)) within 3σ of `centre`, recording the class of the winning bump. */
function splat(g: Grid, field: Float32Array, classOf: Uint8Array, centre: number[], sigma: number[], klass: number): void {
  const [X, Y] = g.dims;
  const lo = centre.map((c, a) => Math.max(0, Math.floor(c - 3 * sigma[a]!)));
  const hi = centre.map((c, a) => Math.min(g.dims[a]! - 1, Math.ceil(c + 3 * sigma[a]!)));
  if (g.rank === 2) {
    lo[2] = 0;
    hi[2] = 0;
  }
  for (let k = lo[2]!; k <= hi[2]!; k++) {
    const dz = g.rank === 3 ? (k - centre[2]!) / sigma[2]! : 0;
    for (let j = lo[1]!; j <= hi[1]!; j++) {
      const dy = (j - centre[1]!) / sigma[1]!;
      let idx = lo[0]! + X * (j + Y * k);
      for (let i = lo[0]!; i <= hi[0]!; i++, idx++) {
        const dx = (i - centre[0]!) / sigma[0]!;
        const v = Math.exp(-0.5 * (dx * dx + dy * dy + dz * dz));
        if (v > field[idx]!) {
          field[idx] = v;
          classOf[idx] = klass;
        }
      }
    }
  }
}

/** 1-voxel partial-volume blur ([¼, ½, ¼] per axis) of a mask. */
function partialVolume(g: Grid, mask: Float32Array): Float32Array {
  let cur = mask;
  const [X, Y] = g.dims;
  const strides = [1, X, X * Y];
  for (let a = 0; a < g.rank; a++) {
    const next = new Float32Array(g.n);
    const s = strides[a]!;
    const n = g.dims[a]!;
    for (let idx = 0; idx < g.n; idx++) {
      const pos = Math.floor(idx / s) % n;
      const left = pos > 0 ? cur[idx - s]! : cur[idx]!;
      const right = pos < n - 1 ? cur[idx + s]! : cur[idx]!;
      next[idx] = 0.25 * left + 0.5 * cur[idx]! + 0.25 * right;
    }
    cur = next;
  }
  return cur;
}

/**
 * A synthetic image with a textured organ and lesions covering a chosen share of the voxels.
 * Lesions are the top-N voxels of a field of Gaussian bumps (N = round(fraction · voxels)), so the
 * foreground fraction is exact up to rounding; shapes: few large 'blobs', thin 'elongated' random-walk
 * tubes, or many small 'punctate' spots (white-matter-lesion-like). Noise, bias field and partial-volume
 * edges make the image realistic enough to train on. Deterministic from `seed`.
 */
export function generatePhantom(options: PhantomOptions): Phantom {
  const op = 'generatePhantom';
  const { dims: rank, foregroundFraction: fraction } = options;
  if (rank !== 2 && rank !== 3) throw new Error(`${op}: dims must be 2 or 3, got ${String(rank)}`);
  const shape = options.lesionShape ?? 'blobs';
  oneOf(op, 'lesionShape', shape, LESION_SHAPES);
  const sizeOpt = options.size ?? (rank === 2 ? 128 : 64);
  const size = typeof sizeOpt === 'number' ? new Array<number>(rank).fill(sizeOpt) : [...sizeOpt];
  if (size.length !== rank || !size.every((s) => Number.isInteger(s) && s >= 8 && s <= 1024)) {
    throw new Error(`${op}: size must be ${rank} integer(s) in 8..1024, got [${String(sizeOpt)}]`);
  }
  if (!(fraction >= 1e-4 && fraction <= 0.5)) throw new Error(`${op}: foregroundFraction must be in [0.0001, 0.5], got ${fraction}`);
  const classes = options.classes ?? 1;
  if (!Number.isInteger(classes) || classes < 1 || classes > 16) throw new Error(`${op}: classes must be an integer in 1..16, got ${classes}`);
  const channels = options.channels ?? 1;
  if (!Number.isInteger(channels) || channels < 1 || channels > 8) throw new Error(`${op}: channels must be an integer in 1..8, got ${channels}`);
  const noise = options.noise ?? 0.05;
  const bias = options.biasField ?? 0.15;
  if (!(noise >= 0) || !(bias >= 0 && bias < 1)) throw new Error(`${op}: noise must be ≥ 0 and biasField in [0, 1), got ${noise}, ${bias}`);

  const rng = new Random(options.seed ?? 0);
  const g: Grid = { dims: [size[0]!, size[1]!, rank === 3 ? size[2]! : 1], rank, n: size.reduce((a, b) => a * b, 1) };
  const target = Math.round(fraction * g.n);
  if (target < 1) {
    throw new Error(`${op}: foregroundFraction ${fraction} of ${g.n} voxels (size [${size.join(', ')}]) rounds to no voxel; use a larger size`);
  }
  const [X, Y, Z] = g.dims;

  // Organ: a boundary-deformed ellipsoid with a soft (partial-volume) edge.
  const centre = g.dims.map((d, a) => (a < rank ? (d - 1) / 2 + (rng.next() - 0.5) * 0.06 * d : 0));
  const semi = g.dims.map((d) => d * (0.38 + 0.06 * rng.next()));
  const deform = smoothNoise(rng, g, 4);
  const organ = new Float32Array(g.n);
  for (let k = 0, idx = 0; k < Z; k++) {
    for (let j = 0; j < Y; j++) {
      for (let i = 0; i < X; i++, idx++) {
        const ux = (i - centre[0]!) / semi[0]!;
        const uy = (j - centre[1]!) / semi[1]!;
        const uz = rank === 3 ? (k - centre[2]!) / semi[2]! : 0;
        const r = Math.sqrt(ux * ux + uy * uy + uz * uz) + 0.08 * deform[idx]!;
        organ[idx] = Math.min(1, Math.max(0, (1 - r) * semi[0]! + 0.5));
      }
    }
  }
  const insideOrgan = (p: number[]): boolean => {
    const idx = Math.round(p[0]!) + X * (Math.round(p[1]!) + Y * Math.round(p[2]!));
    return (organ[idx] ?? 0) > 0.5;
  };
  const randomPoint = (): number[] => {
    // Lesions sit inside the organ (1000 tries), else anywhere.
    for (let t = 0; t < 1000; t++) {
      const p = g.dims.map((d, a) => (a < rank ? rng.next() * (d - 1) : 0));
      if (insideOrgan(p)) return p;
    }
    return g.dims.map((d, a) => (a < rank ? rng.next() * (d - 1) : 0));
  };

  // Lesion field: maximum of Gaussian bumps; a faint smooth term breaks ties outside them.
  const field = new Float32Array(g.n);
  const classOf = new Uint8Array(g.n).fill(1);
  const tie = smoothNoise(rng, g, 6);
  for (let i = 0; i < g.n; i++) field[i] = 1e-3 * (organ[i]! + 0.25 * (tie[i]! + 1));
  const sigmaFor = (radius: number): number[] => g.dims.map((_, a) => (a < rank ? radius * (0.75 + 0.5 * rng.next()) : 1));
  const ball = (r: number): number => (rank === 3 ? (4 / 3) * Math.PI * r ** 3 : Math.PI * r * r);
  const radiusFor = (volume: number): number => (rank === 3 ? Math.cbrt(volume / ((4 / 3) * Math.PI)) : Math.sqrt(volume / Math.PI));
  const minSide = Math.min(...size);
  let lesions = 0;
  let next = 0;
  const nextClass = (): number => (next++ % classes) + 1;
  if (shape === 'blobs') {
    const count = Math.max(classes, Math.min(6, 1 + Math.floor(rng.next() * 4)));
    for (let b = 0; b < count; b++) {
      const r = Math.min(minSide / 3, Math.max(0.8, radiusFor(target / count)));
      splat(g, field, classOf, randomPoint(), sigmaFor(r), nextClass());
      lesions++;
    }
  } else if (shape === 'punctate') {
    const maxSpots = 4000;
    const r = Math.max(0.7, radiusFor(target / maxSpots));
    const count = Math.max(classes, Math.min(maxSpots, Math.round(target / Math.max(1, ball(r)))));
    for (let s = 0; s < count; s++) {
      splat(g, field, classOf, randomPoint(), sigmaFor(r * (0.7 + 0.6 * rng.next())), nextClass());
      lesions++;
    }
  } else {
    const tubes = Math.max(classes, 1 + Math.floor(rng.next() * 3));
    const maxLength = 1.5 * minSide;
    const crossSection = (rho: number): number => (rank === 3 ? Math.PI * rho * rho : 2 * rho);
    let rho = 0.9;
    while (target / (tubes * crossSection(rho)) > maxLength && rho < minSide / 4) rho *= 1.25;
    const length = Math.max(2, target / (tubes * crossSection(rho)));
    for (let t = 0; t < tubes; t++) {
      const klass = nextClass();
      const p = randomPoint();
      let dir = g.dims.map((_, a) => (a < rank ? rng.normal() : 0));
      const step = Math.max(0.5, rho / 2);
      for (let s = 0; s <= length; s += step) {
        splat(g, field, classOf, p, g.dims.map((_, a) => (a < rank ? rho : 1)), klass);
        // A smooth random walk that turns gently and bounces off the volume border.
        dir = dir.map((d, a) => (a < rank ? d + 0.15 * rng.normal() : 0));
        const norm = Math.hypot(...dir) || 1;
        dir = dir.map((d) => d / norm);
        for (let a = 0; a < rank; a++) {
          p[a] = p[a]! + step * dir[a]!;
          if (p[a]! < 1 || p[a]! > g.dims[a]! - 2) {
            dir[a] = -dir[a]!;
            p[a] = Math.min(g.dims[a]! - 2, Math.max(1, p[a]!));
          }
        }
      }
      lesions++;
    }
  }

  // Exactly `target` voxels: the top of the field.
  const sorted = Float32Array.from(field).sort();
  const threshold = sorted[g.n - target]!;
  const labels = new Uint8Array(g.n);
  let above = 0;
  for (let i = 0; i < g.n; i++) if (field[i]! > threshold) above++;
  let ties = target - above;
  const classCounts = new Array<number>(classes + 1).fill(0);
  for (let i = 0; i < g.n; i++) {
    const v = field[i]!;
    if (v > threshold || (v === threshold && ties-- > 0)) labels[i] = classOf[i]!;
    classCounts[labels[i]!]!++;
  }

  // Image: organ texture, lesion contrast with partial-volume edges, bias field, noise.
  const texture = smoothNoise(rng, g, 12);
  const fine = smoothNoise(rng, g, 24);
  const biasField = smoothNoise(rng, g, 2);
  const lesionSoft: Float32Array[] = [];
  for (let c = 1; c <= classes; c++) lesionSoft.push(partialVolume(g, Float32Array.from(labels, (v) => (v === c ? 1 : 0))));
  const image = new Float32Array(g.n * channels);
  for (let ch = 0; ch < channels; ch++) {
    const organLevel = 100 * (1 + 0.2 * ch);
    const background = 15;
    const contrasts = Array.from({ length: classes }, (_, c) => organLevel * (ch % 2 === 0 ? 0.6 + 0.25 * c : -0.35 - 0.1 * c));
    for (let i = 0; i < g.n; i++) {
      const tissue = organLevel * (1 + 0.08 * texture[i]! + 0.04 * fine[i]!);
      let v = background * (1 - organ[i]!) + tissue * organ[i]!;
      for (let c = 0; c < classes; c++) v += contrasts[c]! * lesionSoft[c]![i]!;
      v *= 1 + bias * biasField[i]!;
      v += noise * organLevel * rng.normal();
      image[ch * g.n + i] = v;
    }
  }
  const spacing = size.map(() => 1);
  const affine = [1, 0, 0, -(X - 1) / 2, 0, 1, 0, -(Y - 1) / 2, 0, 0, 1, rank === 3 ? -(Z - 1) / 2 : 0, 0, 0, 0, 1];
  return {
    image: createVolume(image, size, { channels, spacing, affine }),
    label: createVolume(labels, size, { spacing, affine }),
    foregroundFraction: target / g.n,
    classFractions: classCounts.map((n) => n / g.n),
    lesions,
  };
}
