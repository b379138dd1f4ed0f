import { confusionCounts } from './confusionCounts.js';
import { normalizePair } from './maskPair.js';
import { checkOptionKeys } from './metricOptions.js';
import { baseResult } from './metricResult.js';
import type { MaskInput } from './maskInput.js';
import type { EmptyPolicy, MaskOptions } from './metricOptions.js';
import type { MetricResult } from './metricResult.js';

/** Options of {@link jaccard}; all from {@link MaskOptions}. `includeBackground` defaults to true (MONAI MeanIoU). */
export type JaccardOptions = MaskOptions;

/** Jaccard from counts, with the same empty-case policy as Dice (NaN under 'nan' when the reference is empty). */
export function jaccardFromCounts(tp: number, predicted: number, referenced: number, emptyPolicy: EmptyPolicy): number {
  if (referenced === 0) {
    if (emptyPolicy === 'nan') return NaN;
    return predicted === 0 ? 1 : 0;
  }
  return tp / (predicted + referenced - tp);
}

/**
 * Jaccard index (intersection over union) per image and class: `|P∩R| / |P∪R|`.
 * Inputs and empty cases as {@link dice}; returns `values[B][classes.length]`.
 */
export function jaccard(prediction: MaskInput, reference: MaskInput, options: JaccardOptions = {}): MetricResult {
  checkOptionKeys('jaccard', options, []);
  const pair = normalizePair('jaccard', prediction, reference, options, true);
  const counts = confusionCounts(pair);
  const values = counts.map((row) =>
    pair.classes.map((c) => {
      const k = row[c]!;
      return jaccardFromCounts(k.tp, k.tp + k.fp, k.tp + k.fn, pair.emptyPolicy);
    }),
  );
  return baseResult(pair, values);
}
