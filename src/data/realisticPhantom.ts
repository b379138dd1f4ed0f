import { Random } from '../common/random.js';
import { createVolume, type Volume } from './volume.js';

/** The modalities and structures of a realistic phantom (dataset.json names). */
export const REALISTIC_MODALITIES = ['T1', 'T2'] as const;
export const REALISTIC_LABELS = ['background', 'organ', 'lesion'] as const;

/** Orientations a realistic phantom is stored in (voxel axis codes; RAS is the canonical one). */
const ORIENTATIONS = ['LPS', 'RAS', 'LAS', 'PIR', 'ASL', 'RPI'] as const;
const WORLD_AXIS: Record<string, [number, number]> = { R: [0, 1], L: [0, -1], A: [1, 1], P: [1, -1], S: [2, 1], I: [2, -1] };
const SLICE_THICKNESS = [2.5, 3, 4, 5] as const;

export interface RealisticPhantomOptions {
  /** Default 0. Everything below that is not given is drawn from it. */
  seed?: number;
  /** Voxel axis codes, e.g. 'LPS' (default: drawn). */
  orientation?: string;
  /** Spacing per voxel axis, mm (default: 0.7–1.0 mm in-plane, 2.5–5 mm along the voxel axis closest to S/I). */
  spacing?: number[];
  /** Rotation away from the axis-aligned orientation, degrees (default: drawn in 0–15). */
  obliqueDegrees?: number;
  /** Field of view per voxel axis, mm (default ~ 50 × 50 × 42 with ±10 %). */
  fieldOfView?: number[];
}

export interface RealisticPhantom {
  /** Two channels (T1-like, T2-like), int16 as scanners store them; zero outside the body. */
  image: Volume;
  /** uint8: 0 background, 1 organ, 2 lesion (inside the organ). */
  label: Volume;
  orientation: string;
  obliqueDegrees: number;
  /** The thick-slice voxel axis. */
  sliceAxis: number;
}

type Vec3 = [number, number, number];

function rotation(axis: Vec3, angle: number): number[] {
  const n = Math.hypot(...axis);
  const [x, y, z] = axis.map((v) => v / n) as Vec3;
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const t = 1 - c;
  return [t * x * x + c, t * x * y - s * z, t * x * z + s * y, t * x * y + s * z, t * y * y + c, t * y * z - s * x, t * x * z - s * y, t * y * z + s * x, t * z * z + c];
}

/**
 * A phantom with the geometry of a real scan: stored in a chosen orientation (LPS, PIR, ...),
 * rotated obliquely, with an anisotropic spacing (one thick-slice axis), a size that follows its
 * field of view, two modalities with different contrasts and their own smooth multiplicative bias
 * fields, Gaussian noise, partial-volume averaging across the thick slices, and two structures (an
 * organ and a lesion inside it) defined in world millimetres, so that every grid samples the same
 * anatomy. Deterministic from `seed`.
 */
export function generateRealisticPhantom(options: RealisticPhantomOptions = {}): RealisticPhantom {
  const op = 'generateRealisticPhantom';
  const rng = new Random(options.seed ?? 0);
  const orientation = (options.orientation ?? ORIENTATIONS[rng.int(0, ORIENTATIONS.length - 1)]!).toUpperCase();
  const axes = [...orientation].map((ch) => WORLD_AXIS[ch]);
  if (orientation.length !== 3 || axes.some((a) => a === undefined) || new Set(axes.map((a) => a![0])).size !== 3) {
    throw new Error(`${op}: orientation must be three letters naming each of R/L, A/P, S/I once (e.g. 'LPS'); got '${orientation}'`);
  }
  // Thick slices along the world S/I axis (axial acquisitions), whichever voxel axis stores it.
  const sliceAxis = options.spacing === undefined ? axes.findIndex((a) => a![0] === 2) : options.spacing.indexOf(Math.max(...options.spacing));
  const thick = SLICE_THICKNESS[rng.int(0, SLICE_THICKNESS.length - 1)]!;
  const inPlane = 0.7 + 0.3 * rng.next();
  const spacing = options.spacing ?? [0, 1, 2].map((a) => (a === sliceAxis ? thick : inPlane));
  if (spacing.length !== 3 || !spacing.every((s) => Number.isFinite(s) && s > 0)) {
    throw new Error(`${op}: spacing must hold 3 positive finite numbers; got [${spacing.join(', ')}]`);
  }
  const obliqueDegrees = options.obliqueDegrees ?? 15 * rng.next();
  if (!(obliqueDegrees >= 0 && obliqueDegrees <= 45)) throw new Error(`${op}: obliqueDegrees must be in [0, 45]; got ${obliqueDegrees}`);
  const fov = options.fieldOfView ?? [0, 1, 2].map((a) => (a === sliceAxis ? 42 : 50) * (0.9 + 0.2 * rng.next()));
  const shape = fov.map((f, a) => Math.max(4, Math.round(f / spacing[a]!)));
  const [X, Y, Z] = shape as Vec3;

  // Direction of each voxel axis: the orientation's world axis, rotated obliquely; affine centred at 0.
  const R = rotation([rng.normal(), rng.normal(), rng.normal()], (obliqueDegrees * Math.PI) / 180);
  const affine = new Array<number>(16).fill(0);
  affine[15] = 1;
  axes.forEach((axis, t) => {
    const [w, sign] = axis!;
    for (let r = 0; r < 3; r++) affine[r * 4 + t] = R[r * 3 + w]! * sign * spacing[t]!;
  });
  for (let r = 0; r < 3; r++) {
    const centre = [0, 1, 2].reduce((s, t) => s + affine[r * 4 + t]! * ((shape[t]! - 1) / 2), 0);
    affine[r * 4 + 3] = -centre + 3 * rng.normal();
  }

  // Anatomy in world mm around the field-of-view centre.
  const centre: Vec3 = [0, 1, 2].map((r) => affine[r * 4 + 3]! + [0, 1, 2].reduce((s, t) => s + affine[r * 4 + t]! * ((shape[t]! - 1) / 2), 0)) as Vec3;
  const body: Vec3 = [22 + 2 * rng.next(), 20 + 2 * rng.next(), 30];
  const organ: Vec3 = [11 + 3 * rng.next(), 9 + 2 * rng.next(), 10 + 3 * rng.next()];
  const organShift: Vec3 = [2 * rng.normal(), 2 * rng.normal(), 2 * rng.normal()];
  const lesionRadius = 3 + 2 * rng.next();
  const lesionAt: Vec3 = organShift.map((c, r) => c + (organ[r]! - lesionRadius - 1) * 0.5 * (rng.next() * 2 - 1)) as Vec3;
  const bias = [0, 1].map(() => ({ k: [rng.normal(), rng.normal(), rng.normal()].map((v) => v / 40), phase: 6 * rng.next(), amplitude: 0.12 + 0.1 * rng.next() }));
  const contrast = [
    { body: 420, organ: 640, lesion: 300 },
    { body: 280, organ: 520, lesion: 910 },
  ];
  const structure = (p: Vec3): number => {
    const q = p.map((v, r) => v - centre[r]!) as Vec3;
    const inBody = (q[0] / body[0]) ** 2 + (q[1] / body[1]) ** 2 + (q[2] / body[2]) ** 2 < 1;
    if (!inBody) return -1;
    const d = q.map((v, r) => v - organShift[r]!);
    if (d.reduce((s, v, r) => s + (v / organ[r]!) ** 2, 0) >= 1) return 0;
    return Math.hypot(...q.map((v, r) => v - lesionAt[r]!)) < lesionRadius ? 2 : 1;
  };
  const worldOf = (i: number, j: number, k: number): Vec3 =>
    [0, 1, 2].map((r) => affine[r * 4]! * i + affine[r * 4 + 1]! * j + affine[r * 4 + 2]! * k + affine[r * 4 + 3]!) as Vec3;

  const n = X * Y * Z;
  const label = new Uint8Array(n);
  const image = new Int16Array(2 * n);
  // Partial volume across the thick slices: the image averages 5 sub-slices, the label is the voxel centre's.
  const offsets = [-0.4, -0.2, 0, 0.2, 0.4];
  for (let k = 0, at = 0; k < Z; k++) {
    for (let j = 0; j < Y; j++) {
      for (let i = 0; i < X; i++, at++) {
        const s = structure(worldOf(i, j, k));
        label[at] = Math.max(0, s);
        for (let c = 0; c < 2; c++) {
          let sum = 0;
          for (const o of offsets) {
            const v = [i, j, k];
            v[sliceAxis]! += o;
            const p = worldOf(v[0]!, v[1]!, v[2]!);
            const t = structure(p);
            const base = t < 0 ? 0 : t === 0 ? contrast[c]!.body : t === 1 ? contrast[c]!.organ : contrast[c]!.lesion;
            const b = bias[c]!;
            sum += base * (1 + b.amplitude * Math.sin(b.phase + b.k[0]! * p[0] + b.k[1]! * p[1] + b.k[2]! * p[2]));
          }
          const clean = sum / offsets.length;
          image[c * n + at] = clean === 0 ? 0 : Math.max(1, Math.round(clean + 0.03 * contrast[c]!.organ * rng.normal()));
        }
      }
    }
  }
  return {
    image: createVolume(image, shape, { channels: 2, spacing, affine }),
    label: createVolume(label, shape, { spacing, affine }),
    orientation,
    obliqueDegrees,
    sliceAxis,
  };
}
