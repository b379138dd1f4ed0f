import type { EmptyPolicy } from './metricOptions.js';
import type { MaskPair } from './maskPair.js';

/** How the prediction was actually turned into masks (stated in every result). */
export type Binarization = 'none' | 'argmax' | 'threshold';


/** One number per image and scored class, and how it was obtained. */
export interface MetricResult {
  metric: string;
  /** `[B][classes.length]`; NaN where the metric is undefined under the policy. */
  values: number[][];
  /** The class index of each column; -1 for a column that pools classes (generalizedDiceScore). */
  classes: number[];
  /** The classes pooled into a -1 column. */
  pooledClasses?: number[];
  binarization: Binarization;
  threshold?: number;
  emptyPolicy: EmptyPolicy;
}


/** A result with the pair's metric name, binarisation, threshold and empty policy. */
export function baseResult(pair: MaskPair, values: number[][], classes: number[] = pair.classes): MetricResult {
  const result: MetricResult = { metric: pair.metric, values, classes, binarization: pair.binarization, emptyPolicy: pair.emptyPolicy };
  if (pair.threshold !== undefined) result.threshold = pair.threshold;
  return result;
}

