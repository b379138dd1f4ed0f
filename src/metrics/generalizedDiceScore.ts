import { oneOf } from '../common/options.js';
import { WEIGHT_TYPES, type WeightType } from '../common/weightTypes.js';
import { confusionCounts } from './confusionCounts.js';
import { normalizePair } from './maskPair.js';
import { checkOptionKeys } from './metricOptions.js';
import { baseResult } from './metricResult.js';
import type { ConfusionCounts } from './confusionCounts.js';
import type { MaskInput } from './maskInput.js';
import type { MaskOptions } from './metricOptions.js';
import type { MetricResult } from './metricResult.js';

/** How a class's reference volume becomes its weight: 1/V² ('square', the paper's GDL_v), 1/V, or 1. */
/** The GDL's class weights (one vocabulary with the loss's `weightType`). */
export const GDS_WEIGHT_TYPES = WEIGHT_TYPES;
export type GdsWeightType = WeightType;

export interface GeneralizedDiceScoreOptions extends MaskOptions {
  /** Class weight from the reference volume V_l. Default 'square' (w = 1/V²). */
  weightType?: GdsWeightType;
}

/**
 * Generalised Dice score of one image from the counts of its scored classes (float64):
 * `2 Σ w_l TP_l / Σ w_l (|P_l| + |R_l|)`. A class absent from the reference gets the largest finite
 * weight of the image (0 when none is finite), as in the loss. Zero denominator: 1 when the
 * prediction is empty in every scored class, else 0.
 */
export function generalizedDiceFromCounts(counts: readonly ConfusionCounts[], weightType: GdsWeightType = 'square'): number {
  const weights = counts.map((k) => {
    const v = k.tp + k.fn;
    return weightType === 'uniform' ? 1 : weightType === 'simple' ? 1 / v : 1 / (v * v);
  });
  let maxFinite = 0;
  for (const w of weights) if (Number.isFinite(w) && w > maxFinite) maxFinite = w;
  let numerator = 0;
  let denominator = 0;
  let predicted = 0;
  counts.forEach((k, i) => {
    const w0 = weights[i]!;
    const w = Number.isFinite(w0) ? w0 : maxFinite;
    numerator += w * k.tp;
    denominator += w * (2 * k.tp + k.fp + k.fn);
    predicted += k.tp + k.fp;
  });
  if (denominator === 0) return predicted === 0 ? 1 : 0;
  return (2 * numerator) / denominator;
}

/**
 * Generalised Dice score (Sudre et al. 2017, after Crum et al. 2006), the complement of the Generalised
 * Dice loss, one value per image: `values[B][1]`, `classes: [-1]`, `pooledClasses` the scored classes.
 *
 * `GDS = 2 Σ_l w_l |P_l∩R_l| / Σ_l w_l (|P_l| + |R_l|)`, weights from `weightType` (default 'square'),
 * absent classes weighted by the image's largest finite weight; zero denominator → 1 if the prediction is
 * empty too, else 0. The score is defined for every input, so `emptyPolicy` does not change it.
 * `includeBackground` defaults to true (MONAI GeneralizedDiceScore).
 */
export function generalizedDiceScore(prediction: MaskInput, reference: MaskInput, options: GeneralizedDiceScoreOptions = {}): MetricResult {
  checkOptionKeys('generalizedDiceScore', options, ['weightType']);
  const weightType = oneOf('generalizedDiceScore', 'weightType', options.weightType ?? 'square', GDS_WEIGHT_TYPES);
  const pair = normalizePair('generalizedDiceScore', prediction, reference, options, true);
  const counts = confusionCounts(pair);
  const values = counts.map((row) => [generalizedDiceFromCounts(pair.classes.map((c) => row[c]!), weightType)]);
  const result = baseResult(pair, values, [-1]);
  result.pooledClasses = [...pair.classes];
  return result;
}
