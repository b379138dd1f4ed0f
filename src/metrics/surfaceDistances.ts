import { maskBoundary } from './boundary.js';
import { squaredDistanceTransform } from './distanceTransform.js';
import { shapeString } from './maskInput.js';
import { extractMask, normalizePair } from './maskPair.js';
import { finiteNumber } from '../common/options.js';
import { checkOptionKeys, resolveSpacing } from './metricOptions.js';
import type { MaskInput } from './maskInput.js';
import type { MaskPair } from './maskPair.js';
import type { EmptyPolicy, MaskOptions, SpacingOptions } from './metricOptions.js';

/** Directed boundary-to-boundary distances in mm of one pair of masks. */
export interface SurfaceDistances {
  /** For each boundary voxel of the prediction, the distance to the nearest reference boundary voxel (+∞ if the reference is empty). */
  predToRef: Float64Array;
  /** For each boundary voxel of the reference, the distance to the nearest prediction boundary voxel (+∞ if the prediction is empty). */
  refToPred: Float64Array;
}

/**
 * Directed surface distances between two binary masks of the same `shape` (1–3 axes, row-major),
 * with `spacing` in mm per axis. Boundaries are face-connected erosion boundaries
 * ({@link maskBoundary}); each distance is read from an exact Euclidean distance transform of the other
 * boundary, computed over the bounding box of the union of both masks only (exact: every boundary
 * voxel lies inside it, and voxels outside it are background of both masks).
 */
export function surfaceDistances(prediction: ArrayLike<number>, reference: ArrayLike<number>, shape: readonly number[], spacing: readonly number[]): SurfaceDistances {
  const dims = shape.length;
  if (dims < 1 || dims > 3) throw new Error(`surfaceDistances: shape must have 1 to 3 axes, got ${shapeString(shape)}`);
  if (spacing.length !== dims) throw new Error(`surfaceDistances: spacing has ${spacing.length} entries for a ${dims}D mask ${shapeString(shape)}`);
  const size = shape.reduce((a, b) => a * b, 1);
  if (prediction.length !== size || reference.length !== size) {
    throw new Error(`surfaceDistances: masks have ${prediction.length} and ${reference.length} values but shape ${shapeString(shape)} needs ${size}`);
  }
  // Bounding box of the union, on the shape padded to 3 axes.
  const full = [...new Array<number>(3 - dims).fill(1), ...shape];
  const [n0, n1, n2] = [full[0]!, full[1]!, full[2]!];
  const lo = [n0, n1, n2];
  const hi = [-1, -1, -1];
  for (let i0 = 0, o = 0; i0 < n0; i0++) {
    for (let i1 = 0; i1 < n1; i1++) {
      let first = -1;
      let last = -1;
      for (let i2 = 0; i2 < n2; i2++, o++) {
        if (prediction[o] !== 0 || reference[o] !== 0) {
          if (first < 0) first = i2;
          last = i2;
        }
      }
      if (first >= 0) {
        if (i0 < lo[0]!) lo[0] = i0;
        if (i0 > hi[0]!) hi[0] = i0;
        if (i1 < lo[1]!) lo[1] = i1;
        if (i1 > hi[1]!) hi[1] = i1;
        if (first < lo[2]!) lo[2] = first;
        if (last > hi[2]!) hi[2] = last;
      }
    }
  }
  if (hi[0]! < 0) return { predToRef: new Float64Array(0), refToPred: new Float64Array(0) };
  const c0 = hi[0]! - lo[0]! + 1;
  const c1 = hi[1]! - lo[1]! + 1;
  const c2 = hi[2]! - lo[2]! + 1;
  const cropSize = c0 * c1 * c2;
  const p = new Uint8Array(cropSize);
  const r = new Uint8Array(cropSize);
  for (let i0 = 0, o = 0; i0 < c0; i0++) {
    for (let i1 = 0; i1 < c1; i1++) {
      const src = ((i0 + lo[0]!) * n1 + (i1 + lo[1]!)) * n2 + lo[2]!;
      for (let i2 = 0; i2 < c2; i2++, o++) {
        p[o] = prediction[src + i2] !== 0 ? 1 : 0;
        r[o] = reference[src + i2] !== 0 ? 1 : 0;
      }
    }
  }
  const cropShape = [c0, c1, c2].slice(3 - dims);
  const bp = maskBoundary(p, cropShape);
  const br = maskBoundary(r, cropShape);
  return {
    predToRef: distancesAt(bp.boundary, bp.count, br.boundary, br.count, cropShape, spacing),
    refToPred: distancesAt(br.boundary, br.count, bp.boundary, bp.count, cropShape, spacing),
  };
}

/** Distances from each query voxel to the nearest feature voxel (+∞ without features). */
function distancesAt(query: Uint8Array, queryCount: number, features: Uint8Array, featureCount: number, shape: readonly number[], spacing: readonly number[]): Float64Array {
  const out = new Float64Array(queryCount);
  if (queryCount === 0) return out;
  if (featureCount === 0) return out.fill(Infinity);
  const d2 = squaredDistanceTransform(features, shape, spacing);
  for (let i = 0, j = 0; i < query.length; i++) {
    if (query[i] !== 0) out[j++] = Math.sqrt(d2[i]!);
  }
  return out;
}

/** Options shared by the boundary metrics. */
export interface BoundaryMetricOptions extends MaskOptions, SpacingOptions {
  /** Distance (mm) for a one-sided miss under emptyPolicy 'worst'. Default: the image diagonal sqrt(Σ (n_i·s_i)²). */
  worstDistance?: number;
}

/** A validated pair with its spacing and the worst distance, for the boundary metrics. */
export interface BoundaryPair {
  pair: MaskPair;
  spacing: number[];
  worstDistance: number;
}

export function prepareBoundaryPair(metric: string, prediction: MaskInput, reference: MaskInput, options: BoundaryMetricOptions, extraKeys: readonly string[]): BoundaryPair {
  checkOptionKeys(metric, options, ['spacing', 'worstDistance', ...extraKeys]);
  const pair = normalizePair(metric, prediction, reference, options, false);
  const spacing = resolveSpacing(metric, options.spacing, pair.spatial, pair.shape);
  const diagonal = Math.sqrt(pair.spatial.reduce((a, n, i) => a + (n * spacing[i]!) ** 2, 0));
  const worstDistance = finiteNumber(metric, 'worstDistance', options.worstDistance ?? diagonal, { min: 0, minExclusive: true });
  return { pair, spacing, worstDistance };
}

/**
 * The distance metrics' empty-case policy (Hausdorff, average surface distance), for an image and
 * class where the prediction (`predVoxels`) or the reference (`refVoxels`) is empty: 'nan' → NaN;
 * 'one' → 0 when both are empty, NaN for a one-sided miss; 'worst' → 0 when both are empty,
 * `worstDistance` for a one-sided miss.
 */
export function emptyDistance(policy: EmptyPolicy, predVoxels: number, refVoxels: number, worstDistance: number): number {
  if (policy === 'nan') return NaN;
  if (predVoxels === 0 && refVoxels === 0) return 0;
  return policy === 'worst' ? worstDistance : NaN;
}

/**
 * Calls `score(distances, predCount, refCount, column)` for every image and scored class, with the
 * masks extracted one at a time, and collects the `[B][classes]` table.
 */
export function mapSurfaceDistances(bp: BoundaryPair, score: (d: SurfaceDistances, predVoxels: number, refVoxels: number, column: number) => number): number[][] {
  const { pair, spacing } = bp;
  const mp = new Uint8Array(pair.voxels);
  const mr = new Uint8Array(pair.voxels);
  const values: number[][] = [];
  for (let b = 0; b < pair.batch; b++) {
    const row: number[] = [];
    pair.classes.forEach((c, column) => {
      const np = extractMask(pair.prediction, pair.voxels, b, c, mp);
      const nr = extractMask(pair.reference, pair.voxels, b, c, mr);
      const d = np === 0 && nr === 0 ? { predToRef: new Float64Array(0), refToPred: new Float64Array(0) } : surfaceDistances(mp, mr, pair.spatial, spacing);
      row.push(score(d, np, nr, column));
    });
    values.push(row);
  }
  return values;
}
