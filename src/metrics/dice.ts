import { confusionCounts } from './confusionCounts.js';
import { normalizePair } from './maskPair.js';
import { checkOptionKeys } from './metricOptions.js';
import { baseResult } from './metricResult.js';
import type { MaskInput } from './maskInput.js';
import type { EmptyPolicy, MaskOptions } from './metricOptions.js';
import type { MetricResult } from './metricResult.js';

/** Options of {@link dice}; all from {@link MaskOptions}. `includeBackground` defaults to true (MONAI). */
export type DiceOptions = MaskOptions;

/**
 * Dice from counts, with the empty-case policy: `'nan'` → NaN when the reference is empty (MONAI's
 * `ignore_empty`); `'one'`/`'worst'` → 1 when both masks are empty, 0 when only the prediction has voxels.
 */
export function diceFromCounts(tp: number, predicted: number, referenced: number, emptyPolicy: EmptyPolicy): number {
  if (referenced === 0) {
    if (emptyPolicy === 'nan') return NaN;
    return predicted === 0 ? 1 : 0;
  }
  return (2 * tp) / (predicted + referenced);
}

/**
 * Dice similarity coefficient per image and class: `2|P∩R| / (|P| + |R|)`.
 *
 * Inputs: label maps `[B, ...spatial, 1]` or one-hot `[B, ...spatial, C]` (tensors or `{ data, shape }`);
 * probabilities are binarised by argmax (C > 1) or a threshold (C = 1, default 0.5), stated in the result.
 * Returns `values[B][classes.length]`. Empty cases: see {@link diceFromCounts} and docs/metrics.md.
 */
export function dice(prediction: MaskInput, reference: MaskInput, options: DiceOptions = {}): MetricResult {
  checkOptionKeys('dice', options, []);
  const pair = normalizePair('dice', prediction, reference, options, true);
  const counts = confusionCounts(pair);
  const values = counts.map((row) =>
    pair.classes.map((c) => {
      const k = row[c]!;
      return diceFromCounts(k.tp, k.tp + k.fp, k.tp + k.fn, pair.emptyPolicy);
    }),
  );
  return baseResult(pair, values);
}
