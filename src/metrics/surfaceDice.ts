import { numberList } from '../common/options.js';
import { baseResult } from './metricResult.js';
import type { MaskInput } from './maskInput.js';
import type { MetricResult } from './metricResult.js';
import { mapSurfaceDistances, prepareBoundaryPair } from './surfaceDistances.js';
import type { BoundaryMetricOptions } from './surfaceDistances.js';

export interface SurfaceDiceOptions extends BoundaryMetricOptions {
  /** Tolerance τ in mm: one number, or one per scored class (in the order of the scored classes). Required. */
  toleranceMm: number | readonly number[];
}

/**
 * Normalised surface Dice per image and class (Nikolov et al. 2021; MONAI SurfaceDiceMetric with
 * `use_subvoxels=False`): the boundary voxels of both masks within `toleranceMm` of the other boundary,
 * over all boundary voxels, `(#{D_PR ≤ τ} + #{D_RP ≤ τ}) / (|∂P| + |∂R|)`. `includeBackground` defaults
 * to false. Empty cases: a one-sided miss is 0 under every policy; both empty → NaN ('nan') or 1
 * ('one', 'worst').
 */
export function surfaceDice(prediction: MaskInput, reference: MaskInput, options: SurfaceDiceOptions): MetricResult {
  const metric = 'surfaceDice';
  if (options === undefined || options.toleranceMm === undefined) throw new Error(`${metric}: toleranceMm (mm) is required`);
  const bp = prepareBoundaryPair(metric, prediction, reference, options, ['toleranceMm']);
  const classes = bp.pair.classes;
  const tol = typeof options.toleranceMm === 'number' ? classes.map(() => options.toleranceMm as number) : [...options.toleranceMm];
  if (tol.length !== classes.length) {
    throw new Error(`${metric}: toleranceMm has ${tol.length} entries for ${classes.length} scored classes [${classes.join(',')}]`);
  }
  numberList(metric, 'toleranceMm', tol, { length: classes.length, min: 0 });
  const policy = bp.pair.emptyPolicy;
  const values = mapSurfaceDistances(bp, (d, np, nr, column) => {
    if (np === 0 && nr === 0) return policy === 'nan' ? NaN : 1;
    const t = tol[column]!;
    let within = 0;
    for (let i = 0; i < d.predToRef.length; i++) if (d.predToRef[i]! <= t) within++;
    for (let i = 0; i < d.refToPred.length; i++) if (d.refToPred[i]! <= t) within++;
    return within / (d.predToRef.length + d.refToPred.length);
  });
  return baseResult(bp.pair, values);
}
