import type { Random } from '../common/random.js';
import type { ResolvedAugmentation } from './augmentationConfig.js';
import { cubicWeights } from './resample.js';

/**
 * The spatial part of augmentation: rotation, scaling and elastic deformation of a patch, resampled
 * from a larger source patch around it (images trilinear or tricubic, labels nearest, so labels never get new
 * values). Patches are 3D here; a 2D patch is a 3D one of depth 1 whose matrix leaves axis 2 alone.
 */

/** A 3×3 row-major matrix. */
type Matrix = number[];

function multiply(a: Matrix, b: Matrix): Matrix {
  const out = new Array<number>(9).fill(0);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) out[i * 3 + j]! += a[i * 3 + k]! * b[k * 3 + j]!;
  return out;
}

/** Rotation by `radians` about axis `axis` (in the plane of the two others). */
function rotationAbout(axis: number, radians: number): Matrix {
  const [p, q] = [0, 1, 2].filter((a) => a !== axis) as [number, number];
  const m = [1, 0, 0, 0, 1, 0, 0, 0, 1];
  const c = Math.cos(radians);
  const s = Math.sin(radians);
  m[p * 3 + p] = c;
  m[p * 3 + q] = -s;
  m[q * 3 + p] = s;
  m[q * 3 + q] = c;
  return m;
}

/** Output → source matrix: rotations about each axis (in the listed order), then scaling (nnU-Net's R·S). */
export function spatialMatrix(angles: ReadonlyArray<{ axis: number; radians: number }>, scales: readonly number[]): Matrix {
  let m = [1, 0, 0, 0, 1, 0, 0, 0, 1];
  for (const { axis, radians } of angles) m = multiply(m, rotationAbout(axis, radians));
  return multiply(m, [scales[0]!, 0, 0, 0, scales[1]!, 0, 0, 0, scales[2]!]);
}

/** The elastic displacement's largest value per axis, in voxels, for a patch. */
function maxDisplacement(spec: ResolvedAugmentation, patch3: readonly number[]): number[] {
  return patch3.map((p) => (spec.elastic === undefined || p === 1 ? 0 : spec.elastic.magnitude[1] * p));
}

/**
 * The source patch a spatial transform reads from, so that no output voxel falls outside it (no empty
 * corners): for each axis, the extent of the patch under the worst matrix over the rotation and scaling
 * ranges (angles sampled every ≤ 2.5°), plus the elastic displacement (and 2 voxels a side for cubic
 * interpolation's taps), rounded up so that it exceeds
 * the patch by an even number of voxels (both share a centre voxel for voxel). The patch itself when
 * there is no spatial transform.
 */
export function sourcePatchSize(spec: ResolvedAugmentation, patchSize: readonly number[]): number[] {
  if (spec.rotation === undefined && spec.scaling === undefined && spec.elastic === undefined) return [...patchSize];
  const patch3 = [patchSize[0]!, patchSize[1]!, patchSize[2] ?? 1];
  const half = patch3.map((p, a) => (p - 1) / 2 + maxDisplacement(spec, patch3)[a]!);
  const scales = [0, 1, 2].map((a) => (spec.scaling?.axes.includes(a) ? Math.max(1, spec.scaling.range[1]) : 1));
  const rotAxes = spec.rotation?.axes ?? [];
  const [lo, hi] = spec.rotation?.degrees ?? [0, 0];
  const steps = Math.max(1, Math.ceil((hi - lo) / (rotAxes.length > 2 ? 5 : 2.5)));
  const angles = [...Array.from({ length: steps + 1 }, (_, k) => lo + ((hi - lo) * k) / steps), 0].map((d) => (d * Math.PI) / 180);
  const extent = [0, 0, 0];
  const visit = (chosen: Array<{ axis: number; radians: number }>): void => {
    if (chosen.length < rotAxes.length) {
      for (const radians of angles) visit([...chosen, { axis: rotAxes[chosen.length]!, radians }]);
      return;
    }
    const m = spatialMatrix(chosen, scales);
    for (let a = 0; a < 3; a++) {
      const h = Math.abs(m[a * 3]!) * half[0]! + Math.abs(m[a * 3 + 1]!) * half[1]! + Math.abs(m[a * 3 + 2]!) * half[2]!;
      extent[a] = Math.max(extent[a]!, h);
    }
  };
  visit([]);
  return patchSize.map((p, a) => {
    // 1e-9: a matrix entry of cos(90°) is 6e-17, not 0.
    const need = Math.ceil(2 * extent[a]! + 1 - 1e-9) + (spec.imageInterpolation === 'cubic' && patch3[a]! > 1 ? 4 : 0);
    return need <= p ? p : p + 2 * Math.ceil((need - p) / 2);
  });
}

/** The parameters drawn for one patch: its matrix and elastic displacement (undefined: no spatial transform). */
export interface SpatialDraw {
  matrix: Matrix;
  /** Displacement per output voxel and axis, [voxels × 3], in source voxels before the matrix; undefined without elastic. */
  displacement: Float32Array | undefined;
}

/** nnU-Net's draw order: one coin each for rotation, scaling and elastic deformation, then their parameters. */
export function drawSpatial(spec: ResolvedAugmentation, patch3: readonly number[], rng: Random): SpatialDraw | undefined {
  const rotate = spec.rotation !== undefined && rng.next() < spec.rotation.probability;
  const scale = spec.scaling !== undefined && rng.next() < spec.scaling.probability;
  const deform = spec.elastic !== undefined && rng.next() < spec.elastic.probability;
  if (!rotate && !scale && !deform) return undefined;
  const uniform = (r: readonly [number, number]): number => r[0] + (r[1] - r[0]) * rng.next();
  const angles = rotate ? spec.rotation!.axes.map((axis) => ({ axis, radians: (uniform(spec.rotation!.degrees) * Math.PI) / 180 })) : [];
  const scales = [1, 1, 1];
  if (scale) {
    const { range, synchronizeAxes, axes } = spec.scaling!;
    const shared = uniform(range);
    for (const a of axes) scales[a] = synchronizeAxes ? shared : uniform(range);
  }
  return { matrix: spatialMatrix(angles, scales), displacement: deform ? elasticDisplacement(spec.elastic!, patch3, rng) : undefined };
}

/**
 * A smooth random displacement field: Gaussian values on a coarse grid of spacing σ = scale·(largest
 * extent) voxels (at least 1), interpolated trilinearly to every voxel, each axis's field scaled so its
 * largest |value| is magnitude·extent voxels. Axes of extent 1 (2D) are not displaced.
 */
function elasticDisplacement(spec: NonNullable<ResolvedAugmentation['elastic']>, patch3: readonly number[], rng: Random): Float32Array {
  const [px, py, pz] = patch3 as [number, number, number];
  const uniform = (r: readonly [number, number]): number => r[0] + (r[1] - r[0]) * rng.next();
  const sigma = Math.max(1, uniform(spec.scale) * Math.max(px, py, pz));
  const grid = patch3.map((p) => (p === 1 ? 1 : Math.ceil((p - 1) / sigma) + 1)) as [number, number, number];
  const n = px * py * pz;
  const out = new Float32Array(n * 3);
  for (let axis = 0; axis < 3; axis++) {
    const magnitude = patch3[axis] === 1 ? 0 : uniform(spec.magnitude) * patch3[axis]!;
    if (magnitude === 0) continue;
    const coarse = new Float64Array(grid[0] * grid[1] * grid[2]);
    for (let i = 0; i < coarse.length; i++) coarse[i] = rng.normal();
    const field = new Float64Array(n);
    let largest = 0;
    const [gx, gy, gz] = grid;
    for (let x = 0, v = 0; x < px; x++) {
      const [x0, x1, fx] = cell(x, sigma, gx);
      for (let y = 0; y < py; y++) {
        const [y0, y1, fy] = cell(y, sigma, gy);
        const r00 = (x0 * gy + y0) * gz;
        const r01 = (x0 * gy + y1) * gz;
        const r10 = (x1 * gy + y0) * gz;
        const r11 = (x1 * gy + y1) * gz;
        for (let z = 0; z < pz; z++, v++) {
          const [z0, z1, fz] = cell(z, sigma, gz);
          const along = (r: number): number => coarse[r + z0]! * (1 - fz) + coarse[r + z1]! * fz;
          const value = (along(r00) * (1 - fy) + along(r01) * fy) * (1 - fx) + (along(r10) * (1 - fy) + along(r11) * fy) * fx;
          field[v] = value;
          largest = Math.max(largest, Math.abs(value));
        }
      }
    }
    const factor = largest > 0 ? magnitude / largest : 0;
    for (let v = 0; v < n; v++) out[v * 3 + axis] = field[v]! * factor;
  }
  return out;
}

/** The two coarse-grid nodes around voxel `i` (spacing `sigma`, `g` nodes) and the weight of the upper one. */
function cell(i: number, sigma: number, g: number): [number, number, number] {
  const c = i / sigma;
  const lo = Math.min(Math.floor(c), g - 1);
  return [lo, Math.min(lo + 1, g - 1), c - lo];
}

/**
 * Resamples one patch: output voxel o reads the source at c_S + M·(o − c_P + d(o)) (centres c), images
 * trilinearly or tricubically (Keys, a = −½; 0 outside the source), labels from the nearest voxel (0
 * outside). Channels-last layouts.
 */
export function resamplePatch(
  draw: SpatialDraw,
  source: { images: Float32Array; labels: Int32Array; at: number; shape: readonly number[] },
  target: { images: Float32Array; labels: Int32Array; at: number; shape: readonly number[] },
  channels: number,
  cubic = false,
): void {
  const [sx, sy, sz] = source.shape as [number, number, number];
  const [px, py, pz] = target.shape as [number, number, number];
  const m = draw.matrix;
  const d = draw.displacement;
  const cs = [(sx - 1) / 2, (sy - 1) / 2, (sz - 1) / 2];
  const cp = [(px - 1) / 2, (py - 1) / 2, (pz - 1) / 2];
  const C = channels;
  const acc = new Float64Array(C);
  for (let x = 0, v = 0; x < px; x++) {
    for (let y = 0; y < py; y++) {
      for (let z = 0; z < pz; z++, v++) {
        let u0 = x - cp[0]!;
        let u1 = y - cp[1]!;
        let u2 = z - cp[2]!;
        if (d !== undefined) {
          u0 += d[v * 3]!;
          u1 += d[v * 3 + 1]!;
          u2 += d[v * 3 + 2]!;
        }
        const s0 = cs[0]! + m[0]! * u0 + m[1]! * u1 + m[2]! * u2;
        const s1 = cs[1]! + m[3]! * u0 + m[4]! * u1 + m[5]! * u2;
        const s2 = cs[2]! + m[6]! * u0 + m[7]! * u1 + m[8]! * u2;
        // Labels: nearest voxel.
        const n0 = Math.round(s0);
        const n1 = Math.round(s1);
        const n2 = Math.round(s2);
        const inside = n0 >= 0 && n0 < sx && n1 >= 0 && n1 < sy && n2 >= 0 && n2 < sz;
        target.labels[target.at + v] = inside ? source.labels[source.at + (n0 * sy + n1) * sz + n2]! : 0;
        const t = (target.at + v) * C;
        if (cubic) {
          cubicSample(source, [sx, sy, sz], [s0, s1, s2], C, acc);
          for (let k = 0; k < C; k++) target.images[t + k] = acc[k]!;
          continue;
        }
        // Images: trilinear over the 8 neighbours inside the source.
        const i0 = Math.floor(s0);
        const i1 = Math.floor(s1);
        const i2 = Math.floor(s2);
        const f0 = s0 - i0;
        const f1 = s1 - i1;
        const f2 = s2 - i2;
        acc.fill(0);
        for (let corner = 0; corner < 8; corner++) {
          const a = i0 + (corner & 1);
          const b = i1 + ((corner >> 1) & 1);
          const c = i2 + ((corner >> 2) & 1);
          const w = (corner & 1 ? f0 : 1 - f0) * ((corner >> 1) & 1 ? f1 : 1 - f1) * ((corner >> 2) & 1 ? f2 : 1 - f2);
          if (w === 0 || a < 0 || a >= sx || b < 0 || b >= sy || c < 0 || c >= sz) continue;
          const s = (source.at + (a * sy + b) * sz + c) * C;
          for (let k = 0; k < C; k++) acc[k]! += w * source.images[s + k]!;
        }
        for (let k = 0; k < C; k++) target.images[t + k] = acc[k]!;
      }
    }
  }
}

/** Tricubic (Keys) value of every channel at source point `s`, the 64 taps inside the source, into `acc`. */
function cubicSample(source: { images: Float32Array; at: number }, shape: readonly number[], s: readonly number[], C: number, acc: Float64Array): void {
  const [sx, sy, sz] = shape as [number, number, number];
  const i0 = Math.floor(s[0]!);
  const i1 = Math.floor(s[1]!);
  const i2 = Math.floor(s[2]!);
  const w0 = cubicWeights(s[0]! - i0);
  const w1 = cubicWeights(s[1]! - i1);
  const w2 = cubicWeights(s[2]! - i2);
  acc.fill(0);
  for (let p = 0; p < 4; p++) {
    const a = i0 - 1 + p;
    if (w0[p] === 0 || a < 0 || a >= sx) continue;
    for (let q = 0; q < 4; q++) {
      const b = i1 - 1 + q;
      const wab = w0[p]! * w1[q]!;
      if (wab === 0 || b < 0 || b >= sy) continue;
      for (let r = 0; r < 4; r++) {
        const c = i2 - 1 + r;
        const w = wab * w2[r]!;
        if (w === 0 || c < 0 || c >= sz) continue;
        const at = (source.at + (a * sy + b) * sz + c) * C;
        for (let k = 0; k < C; k++) acc[k]! += w * source.images[at + k]!;
      }
    }
  }
}

/** Copies the centre of the source patch (no spatial transform drawn): exact values, no interpolation. */
export function cropPatch(
  source: { images: Float32Array; labels: Int32Array; at: number; shape: readonly number[] },
  target: { images: Float32Array; labels: Int32Array; at: number; shape: readonly number[] },
  channels: number,
): void {
  const [, sy, sz] = source.shape as [number, number, number];
  const [px, py, pz] = target.shape as [number, number, number];
  const o = [0, 1, 2].map((a) => (source.shape[a]! - target.shape[a]!) / 2) as [number, number, number];
  const C = channels;
  for (let x = 0; x < px; x++) {
    for (let y = 0; y < py; y++) {
      const s = source.at + ((x + o[0]) * sy + y + o[1]) * sz + o[2];
      const t = target.at + (x * py + y) * pz;
      // Plain loops: runs are short (pz voxels; 1 in 2D), a subarray per run costs more than the copy.
      for (let k = 0; k < pz; k++) target.labels[t + k] = source.labels[s + k]!;
      for (let k = 0, end = pz * C; k < end; k++) target.images[t * C + k] = source.images[s * C + k]!;
    }
  }
}
