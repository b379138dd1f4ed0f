import { baseResult } from './metricResult.js';
import type { MaskInput } from './maskInput.js';
import type { MetricResult } from './metricResult.js';
import { emptyDistance, mapSurfaceDistances, prepareBoundaryPair } from './surfaceDistances.js';
import type { BoundaryMetricOptions } from './surfaceDistances.js';

export type AverageSurfaceDistanceOptions = BoundaryMetricOptions;

/**
 * Symmetric average surface distance in mm per image and class (MONAI SurfaceDistanceMetric with
 * `symmetric=True`): the mean of both directed sets of boundary-to-boundary distances taken together,
 * `(Σ D_PR + Σ D_RP) / (|∂P| + |∂R|)`. Boundaries, spacing and empty cases as {@link hausdorffDistance}.
 * `includeBackground` defaults to false.
 */
export function averageSurfaceDistance(prediction: MaskInput, reference: MaskInput, options: AverageSurfaceDistanceOptions = {}): MetricResult {
  const metric = 'averageSurfaceDistance';
  const bp = prepareBoundaryPair(metric, prediction, reference, options, []);
  const policy = bp.pair.emptyPolicy;
  const values = mapSurfaceDistances(bp, (d, np, nr) => {
    if (np === 0 || nr === 0) return emptyDistance(policy, np, nr, bp.worstDistance);
    let sum = 0;
    for (let i = 0; i < d.predToRef.length; i++) sum += d.predToRef[i]!;
    for (let i = 0; i < d.refToPred.length; i++) sum += d.refToPred[i]!;
    return sum / (d.predToRef.length + d.refToPred.length);
  });
  return baseResult(bp.pair, values);
}
