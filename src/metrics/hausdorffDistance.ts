import { finiteNumber } from '../common/options.js';
import { percentileOfSorted } from '../common/stats.js';
import { baseResult } from './metricResult.js';
import type { MaskInput } from './maskInput.js';
import type { MetricResult } from './metricResult.js';
import { emptyDistance, mapSurfaceDistances, prepareBoundaryPair } from './surfaceDistances.js';
import type { BoundaryMetricOptions } from './surfaceDistances.js';

export interface HausdorffDistanceOptions extends BoundaryMetricOptions {
  /** Percentile of the directed distances, 0..100. Default 100 (the maximum); 95 gives HD95. */
  percentile?: number;
}

/**
 * Hausdorff distance in mm per image and class (MONAI HausdorffDistanceMetric): the larger of the two
 * directed q-th percentiles of the boundary-to-boundary distances, `max(pct_q(D_PR), pct_q(D_RP))`,
 * q = `percentile` (default 100, the maximum; 95 for HD95; linear interpolation between order
 * statistics, numpy's default). Boundaries are face-connected erosion boundaries; distances come from an
 * exact Euclidean distance transform with `spacing` (mm, default 1). `includeBackground` defaults to false.
 *
 * Empty cases (`emptyPolicy`): 'nan' → NaN when either mask is empty; 'one' → 0 when both are empty,
 * NaN for a one-sided miss; 'worst' → 0 when both are empty, `worstDistance` (default the image
 * diagonal) for a one-sided miss.
 */
export function hausdorffDistance(prediction: MaskInput, reference: MaskInput, options: HausdorffDistanceOptions = {}): MetricResult {
  const metric = 'hausdorffDistance';
  const q = options.percentile ?? 100;
  finiteNumber(metric, 'percentile', q, { min: 0, max: 100 });
  const bp = prepareBoundaryPair(metric, prediction, reference, options, ['percentile']);
  const policy = bp.pair.emptyPolicy;
  const values = mapSurfaceDistances(bp, (d, np, nr) => {
    if (np === 0 || nr === 0) return emptyDistance(policy, np, nr, bp.worstDistance);
    return Math.max(directedPercentile(d.predToRef, q), directedPercentile(d.refToPred, q));
  });
  return baseResult(bp.pair, values);
}

function directedPercentile(distances: Float64Array, q: number): number {
  if (q === 100) {
    let max = 0;
    for (let i = 0; i < distances.length; i++) if (distances[i]! > max) max = distances[i]!;
    return max;
  }
  return percentileOfSorted(distances.sort(), q);
}
