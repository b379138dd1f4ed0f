import { allocateVoxels, type Volume } from './volume.js';

/** Which way each voxel axis points, as three letters (R/L, A/P, S/I), e.g. 'RAS', 'LPS', 'PIR'. */
export type AxisCodes = string;

/**
 * How a volume was reoriented: new axis `t` is source axis `permutation[t]`, reversed when `flips[t]`.
 * Keeps the source shape and affine so that `undoReorientation` restores them exactly.
 */
export interface OrientationTransform {
  permutation: number[];
  flips: boolean[];
  sourceCodes: AxisCodes;
  targetCodes: AxisCodes;
  sourceShape: number[];
  sourceAffine: number[];
}

const POSITIVE = ['R', 'A', 'S'];
const NEGATIVE = ['L', 'P', 'I'];

/** For each voxel axis, the world axis (0 = x/R, 1 = y/A, 2 = z/S) it mostly follows and the sign. */
function axisDirections(affine: readonly number[]): { world: number[]; sign: number[] } {
  const cols = [0, 1, 2].map((k) => {
    const c = [affine[k]!, affine[4 + k]!, affine[8 + k]!];
    const n = Math.hypot(...c);
    return n > 0 ? c.map((v) => v / n) : c;
  });
  const world = [-1, -1, -1];
  const sign = [1, 1, 1];
  const usedWorld = new Set<number>();
  // Greedy, largest component first: for near-axis-aligned (even oblique) affines this is the usual answer.
  for (let step = 0; step < 3; step++) {
    let best = -1;
    let bi = -1;
    let bw = -1;
    for (let i = 0; i < 3; i++) {
      if (world[i] !== -1) continue;
      for (let w = 0; w < 3; w++) {
        if (usedWorld.has(w)) continue;
        const m = Math.abs(cols[i]![w]!);
        if (m > best) {
          best = m;
          bi = i;
          bw = w;
        }
      }
    }
    world[bi] = bw;
    sign[bi] = cols[bi]![bw]! < 0 ? -1 : 1;
    usedWorld.add(bw);
  }
  return { world, sign };
}

/** The axis codes of a 4×4 row-major voxel-to-world affine (NIfTI RAS+ world), e.g. 'LPS'. */
export function orientationCodes(affine: readonly number[]): AxisCodes {
  if (affine.length !== 16) throw new Error(`orientationCodes: affine must have 16 entries, got ${affine.length}`);
  const { world, sign } = axisDirections(affine);
  return world.map((w, i) => (sign[i]! > 0 ? POSITIVE[w]! : NEGATIVE[w]!)).join('');
}

function parseCodes(codes: string): { world: number[]; sign: number[] } {
  const upper = codes.toUpperCase();
  const world: number[] = [];
  const sign: number[] = [];
  for (const ch of upper) {
    const p = POSITIVE.indexOf(ch);
    const n = NEGATIVE.indexOf(ch);
    world.push(p >= 0 ? p : n);
    sign.push(p >= 0 ? 1 : -1);
  }
  if (upper.length !== 3 || world.includes(-1) || new Set(world).size !== 3) {
    throw new Error(`reorient: target '${codes}' must be three letters naming each of R/L, A/P, S/I once (e.g. 'RAS', 'LPS')`);
  }
  return { world, sign };
}

/**
 * Reorders data laid out x fastest (then y, z, channel): result axis t is source axis perm[t], reversed
 * when flips[t]. Pure index shuffling, no resampling.
 */
function permuteFlip(volume: Volume, perm: number[], flips: boolean[]): { data: Volume['data']; shape: number[] } {
  const src = volume.data;
  const shape3 = [volume.shape[0]!, volume.shape[1]!, volume.shape[2] ?? 1];
  const srcStride = [1, shape3[0]!, shape3[0]! * shape3[1]!];
  const newShape3 = perm.map((p) => shape3[p]!);
  const plane = shape3[0]! * shape3[1]! * shape3[2]!;
  const out = allocateVoxels(volume.datatype, src.length);
  const step = perm.map((p, t) => (flips[t] ? -srcStride[p]! : srcStride[p]!));
  let base = 0;
  perm.forEach((p, t) => {
    if (flips[t]) base += (shape3[p]! - 1) * srcStride[p]!;
  });
  const [n0, n1, n2] = newShape3 as [number, number, number];
  const [s0, s1, s2] = step as [number, number, number];
  let dst = 0;
  for (let c = 0; c < volume.channels; c++) {
    const cb = base + c * plane;
    for (let k = 0; k < n2; k++) {
      for (let j = 0; j < n1; j++) {
        let at = cb + k * s2 + j * s1;
        for (let i = 0; i < n0; i++, at += s0) out[dst++] = src[at]!;
      }
    }
  }
  return { data: out, shape: volume.shape.length === 2 ? newShape3.slice(0, 2) : newShape3 };
}

function composeAffine(affine: readonly number[], perm: number[], flips: boolean[], shape3: number[]): number[] {
  // new voxel n -> source voxel o: o[perm[t]] = flips[t] ? size-1-n[t] : n[t]
  const T = new Array<number>(16).fill(0);
  T[15] = 1;
  perm.forEach((p, t) => {
    T[p * 4 + t] = flips[t] ? -1 : 1;
    T[p * 4 + 3] = flips[t] ? shape3[p]! - 1 : 0;
  });
  const out = new Array<number>(16).fill(0);
  for (let r = 0; r < 4; r++) {
    for (let c = 0; c < 4; c++) {
      let s = 0;
      for (let k = 0; k < 4; k++) s += affine[r * 4 + k]! * T[k * 4 + c]!;
      out[r * 4 + c] = s;
    }
  }
  return out;
}

/**
 * Reorients a volume by permuting and flipping its axes (never resampling) so that its voxel axes
 * point along `target` (default 'RAS', gendice's canonical orientation). Returns the new volume and the
 * transform that `undoReorientation` inverts exactly. A 2D volume is reoriented within its plane: its
 * third (slice) axis must stay third, otherwise the call fails naming the codes.
 */
export function reorient(volume: Volume, target: AxisCodes = 'RAS'): { volume: Volume; transform: OrientationTransform } {
  const want = parseCodes(target);
  const have = axisDirections(volume.affine);
  const sourceCodes = orientationCodes(volume.affine);
  const perm = want.world.map((w) => have.world.indexOf(w));
  const flips = perm.map((p, t) => have.sign[p]! !== want.sign[t]!);
  if (volume.shape.length === 2 && perm[2] !== 2) {
    throw new Error(
      `reorient: 2D volume oriented '${sourceCodes}' cannot become '${target.toUpperCase()}' without moving its slice axis; reorient to a target whose third letter matches '${sourceCodes[2]}' or its opposite`,
    );
  }
  const shape3 = [volume.shape[0]!, volume.shape[1]!, volume.shape[2] ?? 1];
  const { data, shape } = permuteFlip(volume, perm, flips);
  const affine = composeAffine(volume.affine, perm, flips, shape3);
  const spacing = perm.slice(0, volume.shape.length).map((p) => volume.spacing[p]!);
  const out: Volume = { data, shape, channels: volume.channels, spacing, affine, datatype: volume.datatype };
  if (volume.header !== undefined) out.header = volume.header;
  return {
    volume: out,
    transform: {
      permutation: perm,
      flips,
      sourceCodes,
      targetCodes: target.toUpperCase(),
      sourceShape: [...volume.shape],
      sourceAffine: [...volume.affine],
    },
  };
}

/** `reorient(volume, 'RAS')`: the canonical orientation used throughout gendice. */
export function toCanonical(volume: Volume): { volume: Volume; transform: OrientationTransform } {
  return reorient(volume, 'RAS');
}

/**
 * Brings a volume computed in the reoriented frame (a prediction, a probability map: any datatype and
 * number of channels) back to the source array order, with the source affine restored exactly.
 */
export function undoReorientation(volume: Volume, transform: OrientationTransform): Volume {
  const { permutation: perm, flips, sourceShape } = transform;
  const expected = perm.slice(0, sourceShape.length).map((p) => sourceShape[p]!);
  if (expected.join(',') !== volume.shape.join(',')) {
    throw new Error(
      `undoReorientation: volume shape [${volume.shape.join(', ')}] does not match the reoriented shape [${expected.join(', ')}]`,
    );
  }
  const inv = [0, 0, 0];
  perm.forEach((p, t) => {
    inv[p] = t;
  });
  const invFlips = inv.map((t) => flips[t]!);
  const { data, shape } = permuteFlip(volume, inv, invFlips);
  const spacing = inv.slice(0, sourceShape.length).map((t) => volume.spacing[t]!);
  const out: Volume = {
    data,
    shape,
    channels: volume.channels,
    spacing,
    affine: [...transform.sourceAffine],
    datatype: volume.datatype,
  };
  if (volume.header !== undefined) out.header = volume.header;
  return out;
}
