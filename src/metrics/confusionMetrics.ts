import { confusionCounts } from './confusionCounts.js';
import { normalizePair } from './maskPair.js';
import { checkOptionKeys, resolveSpacing } from './metricOptions.js';
import { baseResult } from './metricResult.js';
import type { ConfusionCounts } from './confusionCounts.js';
import type { MaskInput } from './maskInput.js';
import type { EmptyPolicy, MaskOptions, SpacingOptions } from './metricOptions.js';
import type { MetricResult } from './metricResult.js';

export type ConfusionMetricName = 'sensitivity' | 'specificity' | 'precision' | 'f1' | 'absoluteVolumeDifference' | 'relativeVolumeDifference';
export const CONFUSION_METRIC_NAMES: readonly ConfusionMetricName[] = [
  'sensitivity',
  'specificity',
  'precision',
  'f1',
  'absoluteVolumeDifference',
  'relativeVolumeDifference',
];

/** Options of {@link confusionMetrics}: the common ones, and `spacing` for the volume differences (mm³). */
export interface ConfusionMetricsOptions extends MaskOptions, SpacingOptions {}

export type ConfusionValues = Record<ConfusionMetricName, number>;

export interface ConfusionMetricsResult extends Omit<MetricResult, 'values'> {
  /** Counts per image and scored class. */
  counts: ConfusionCounts[][];
  /** Every metric per image and scored class, `[B][classes.length]`. */
  values: Record<ConfusionMetricName, number[][]>;
  /** Per-image averaging: mean over images of each class, NaN skipped. */
  mean: Record<ConfusionMetricName, number[]>;
  /** Micro averaging: counts summed over images first, then the metric, per class. */
  micro: Record<ConfusionMetricName, number[]>;
  /** Volume of one voxel in mm³ (mm² in 2D), the unit of the absolute volume difference. */
  voxelVolume: number;
}

/**
 * `num/den` with the empty-case policy: when `den` is 0, 'nan' → NaN; 'one' → `best` if `bothEmpty`,
 * else NaN; 'worst' → `best` if `bothEmpty`, else `worst`.
 */
function ratio(num: number, den: number, bothEmpty: boolean, best: number, worst: number, policy: EmptyPolicy): number {
  if (den !== 0) return num / den;
  if (policy === 'nan') return NaN;
  if (bothEmpty) return best;
  return policy === 'worst' ? worst : NaN;
}

/**
 * The six confusion metrics from one class's counts: sensitivity TP/(TP+FN), specificity TN/(TN+FP),
 * precision TP/(TP+FP), F1 2TP/(2TP+FP+FN), absolute volume difference ||P|−|R||·voxelVolume and the
 * signed relative volume difference (|P|−|R|)/|R|. Zero denominators follow `emptyPolicy`
 * (docs/metrics.md): both masks empty (for specificity: both fill the image) is the best value under
 * 'one' and 'worst'; any other zero denominator is NaN under 'one' and the worst value under 'worst'
 * (0, or +∞ for the relative volume difference).
 */
export function confusionMetricsFromCounts(k: ConfusionCounts, voxelVolume: number, emptyPolicy: EmptyPolicy): ConfusionValues {
  const predicted = k.tp + k.fp;
  const referenced = k.tp + k.fn;
  return {
    sensitivity: ratio(k.tp, referenced, predicted === 0, 1, 0, emptyPolicy),
    specificity: ratio(k.tn, k.tn + k.fp, k.fn === 0, 1, 0, emptyPolicy),
    precision: ratio(k.tp, predicted, referenced === 0, 1, 0, emptyPolicy),
    f1: ratio(2 * k.tp, 2 * k.tp + k.fp + k.fn, true, 1, 0, emptyPolicy),
    absoluteVolumeDifference: Math.abs(predicted - referenced) * voxelVolume,
    relativeVolumeDifference: ratio(predicted - referenced, referenced, predicted === 0, 0, Infinity, emptyPolicy),
  };
}

function emptyRecord<T>(make: () => T): Record<ConfusionMetricName, T> {
  return {
    sensitivity: make(),
    specificity: make(),
    precision: make(),
    f1: make(),
    absoluteVolumeDifference: make(),
    relativeVolumeDifference: make(),
  };
}

/** Assembles the per-image values, the per-image means and the micro values from counts `[B][classes]`. */
export function confusionMetricsFromCountTable(counts: readonly (readonly ConfusionCounts[])[], numColumns: number, voxelVolume: number, emptyPolicy: EmptyPolicy): Pick<ConfusionMetricsResult, 'values' | 'mean' | 'micro'> {
  const values = emptyRecord<number[][]>(() => []);
  for (const row of counts) {
    const perClass = row.map((k) => confusionMetricsFromCounts(k, voxelVolume, emptyPolicy));
    for (const name of CONFUSION_METRIC_NAMES) values[name].push(perClass.map((v) => v[name]));
  }
  const mean = emptyRecord<number[]>(() => []);
  const micro = emptyRecord<number[]>(() => []);
  for (let j = 0; j < numColumns; j++) {
    const sum: ConfusionCounts = { tp: 0, fp: 0, fn: 0, tn: 0 };
    for (const row of counts) {
      const k = row[j]!;
      sum.tp += k.tp;
      sum.fp += k.fp;
      sum.fn += k.fn;
      sum.tn += k.tn;
    }
    const m = confusionMetricsFromCounts(sum, voxelVolume, emptyPolicy);
    for (const name of CONFUSION_METRIC_NAMES) {
      micro[name].push(m[name]);
      let s = 0;
      let n = 0;
      for (const row of values[name]) {
        const v = row[j]!;
        if (!Number.isNaN(v)) {
          s += v;
          n++;
        }
      }
      mean[name].push(n === 0 ? NaN : s / n);
    }
  }
  return { values, mean, micro };
}

/**
 * Confusion-matrix metrics per image and class (MONAI ConfusionMatrixMetric's definitions):
 * sensitivity, specificity, precision, F1, absolute volume difference (mm³ from `spacing`) and relative
 * volume difference; with per-image averaging (`mean`) and micro averaging (`micro`, counts first).
 * `includeBackground` defaults to true. Empty cases: {@link confusionMetricsFromCounts}.
 */
export function confusionMetrics(prediction: MaskInput, reference: MaskInput, options: ConfusionMetricsOptions = {}): ConfusionMetricsResult {
  checkOptionKeys('confusionMetrics', options, ['spacing']);
  const pair = normalizePair('confusionMetrics', prediction, reference, options, true);
  const spacing = resolveSpacing('confusionMetrics', options.spacing, pair.spatial, pair.shape);
  const voxelVolume = spacing.reduce((a, b) => a * b, 1);
  const all = confusionCounts(pair);
  const counts = all.map((row) => pair.classes.map((c) => row[c]!));
  const { values, mean, micro } = confusionMetricsFromCountTable(counts, pair.classes.length, voxelVolume, pair.emptyPolicy);
  const { values: _unused, ...base } = baseResult(pair, []);
  return { ...base, counts, values, mean, micro, voxelVolume };
}
