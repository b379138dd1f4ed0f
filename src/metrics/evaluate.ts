import { aggregate } from './aggregate.js';
import type { Aggregate } from './aggregate.js';
import { averageSurfaceDistance } from './averageSurfaceDistance.js';
import { oneOf } from '../common/options.js';
import { checkOptionKeys, EMPTY_POLICIES } from './metricOptions.js';
import type { MaskInput } from './maskInput.js';
import type { EmptyPolicy, MaskOptions } from './metricOptions.js';
import type { Binarization, MetricResult } from './metricResult.js';
import { CONFUSION_METRIC_NAMES, confusionMetrics } from './confusionMetrics.js';
import type { ConfusionMetricName } from './confusionMetrics.js';
import { dice } from './dice.js';
import { generalizedDiceScore } from './generalizedDiceScore.js';
import type { GdsWeightType } from './generalizedDiceScore.js';
import { hausdorffDistance } from './hausdorffDistance.js';
import { jaccard } from './jaccard.js';
import { surfaceDice } from './surfaceDice.js';

export type EvaluationMetricName =
  | 'dice'
  | 'jaccard'
  | 'generalizedDiceScore'
  | 'hausdorffDistance'
  | 'hd95'
  | 'averageSurfaceDistance'
  | 'surfaceDice'
  | ConfusionMetricName;

export const EVALUATION_METRICS: readonly EvaluationMetricName[] = [
  'dice',
  'jaccard',
  'generalizedDiceScore',
  'hausdorffDistance',
  'hd95',
  'averageSurfaceDistance',
  'surfaceDice',
  ...CONFUSION_METRIC_NAMES,
];

/** One case: a prediction and its reference (batch rows become cases `id#b` when B > 1). */
export interface EvaluationPair {
  id?: string;
  prediction: MaskInput;
  reference: MaskInput;
  /** Voxel size in mm of this case; default `options.spacing`, else 1. */
  spacing?: number | readonly number[];
}

export interface EvaluateOptions extends MaskOptions {
  /** Metrics to compute. Default ['dice', 'hd95', 'averageSurfaceDistance']. */
  metrics?: readonly EvaluationMetricName[];
  /** Default voxel size in mm for cases without their own. */
  spacing?: number | readonly number[];
  /** Percentile of 'hausdorffDistance' (default 100); 'hd95' is always 95. */
  percentile?: number;
  /** Tolerance of 'surfaceDice' in mm (required when it is requested). */
  toleranceMm?: number | readonly number[];
  /** Weights of 'generalizedDiceScore' (default 'square'). */
  weightType?: GdsWeightType;
  /** Worst distance in mm under emptyPolicy 'worst' (default: each image's diagonal). */
  worstDistance?: number;
}

export interface EvaluationCase {
  id: string;
  binarization: Binarization;
  /** metric → class (as a string, 'all' for a pooled column) → value. */
  values: Record<string, Record<string, number>>;
}

export interface EvaluationReport {
  metrics: EvaluationMetricName[];
  emptyPolicy: EmptyPolicy;
  cases: EvaluationCase[];
  /** metric → aggregate over cases (per class, overall, with counts of non-NaN values). */
  summary: Record<string, Aggregate>;
}

function classKey(c: number): string {
  return c < 0 ? 'all' : String(c);
}

/**
 * Evaluates a list of (prediction, reference) pairs, one case at a time, with the requested metrics
 * (default dice, hd95, averageSurfaceDistance), and aggregates every metric over the cases with NaN
 * skipped and counted. Serialise with {@link evaluationToJson}, {@link evaluationToCsv},
 * {@link evaluationSummaryCsv}, or write with {@link writeEvaluation}.
 */
export function evaluate(pairs: readonly EvaluationPair[], options: EvaluateOptions = {}): EvaluationReport {
  checkOptionKeys('evaluate', options, ['metrics', 'spacing', 'percentile', 'toleranceMm', 'weightType', 'worstDistance']);
  if (!Array.isArray(pairs)) throw new Error(`evaluate: pairs must be an array of { prediction, reference }, got ${String(pairs)}`);
  const metrics = [...(options.metrics ?? ['dice', 'hd95', 'averageSurfaceDistance'])].map((m) => oneOf('evaluate', 'metric', m, EVALUATION_METRICS));
  if (metrics.length === 0) throw new Error('evaluate: metrics is empty');
  if (metrics.includes('surfaceDice') && options.toleranceMm === undefined) throw new Error("evaluate: metric 'surfaceDice' needs toleranceMm");
  const emptyPolicy = oneOf('evaluate', 'emptyPolicy', options.emptyPolicy ?? 'nan', EMPTY_POLICIES);
  const common: MaskOptions = {};
  if (options.numClasses !== undefined) common.numClasses = options.numClasses;
  if (options.includeBackground !== undefined) common.includeBackground = options.includeBackground;
  if (options.binarize !== undefined) common.binarize = options.binarize;
  if (options.threshold !== undefined) common.threshold = options.threshold;
  common.emptyPolicy = emptyPolicy;

  const cases: EvaluationCase[] = [];
  const tables = new Map<string, { rows: number[][]; classes: number[] }>();
  const seen = new Set<string>();
  pairs.forEach((pair, index) => {
    const baseId = pair.id ?? `case-${index}`;
    const spacing = pair.spacing ?? options.spacing;
    const spaced = spacing === undefined ? {} : { spacing };
    const worst = options.worstDistance === undefined ? {} : { worstDistance: options.worstDistance };
    const results = new Map<string, MetricResult>();
    let confusion: ReturnType<typeof confusionMetrics> | undefined;
    for (const m of metrics) {
      let r: MetricResult;
      switch (m) {
        case 'dice':
          r = dice(pair.prediction, pair.reference, common);
          break;
        case 'jaccard':
          r = jaccard(pair.prediction, pair.reference, common);
          break;
        case 'generalizedDiceScore':
          r = generalizedDiceScore(pair.prediction, pair.reference, { ...common, ...(options.weightType === undefined ? {} : { weightType: options.weightType }) });
          break;
        case 'hausdorffDistance':
          r = hausdorffDistance(pair.prediction, pair.reference, { ...common, ...spaced, ...worst, ...(options.percentile === undefined ? {} : { percentile: options.percentile }) });
          break;
        case 'hd95':
          r = { ...hausdorffDistance(pair.prediction, pair.reference, { ...common, ...spaced, ...worst, percentile: 95 }), metric: 'hd95' };
          break;
        case 'averageSurfaceDistance':
          r = averageSurfaceDistance(pair.prediction, pair.reference, { ...common, ...spaced, ...worst });
          break;
        case 'surfaceDice':
          r = surfaceDice(pair.prediction, pair.reference, { ...common, ...spaced, ...worst, toleranceMm: options.toleranceMm! });
          break;
        default: {
          confusion ??= confusionMetrics(pair.prediction, pair.reference, { ...common, ...spaced });
          const { values, counts: _c, mean: _m, micro: _u, voxelVolume: _v, ...rest } = confusion;
          r = { ...rest, metric: m, values: values[m] };
        }
      }
      results.set(m, r);
    }
    const first = results.values().next().value as MetricResult;
    const batch = first.values.length;
    for (let b = 0; b < batch; b++) {
      const id = batch === 1 ? baseId : `${baseId}#${b}`;
      if (seen.has(id)) throw new Error(`evaluate: case id '${id}' appears twice`);
      seen.add(id);
      const values: Record<string, Record<string, number>> = {};
      for (const [m, r] of results) {
        const row = r.values[b]!;
        values[m] = Object.fromEntries(r.classes.map((c, j) => [classKey(c), row[j]!]));
        let t = tables.get(m);
        if (t === undefined) {
          t = { rows: [], classes: r.classes };
          tables.set(m, t);
        } else if (t.classes.join(',') !== r.classes.join(',')) {
          throw new Error(`evaluate: case '${id}' scores classes [${r.classes.join(',')}] for ${m}, earlier cases [${t.classes.join(',')}]; set numClasses`);
        }
        t.rows.push([...row]);
      }
      cases.push({ id, binarization: first.binarization, values });
    }
  });
  const summary: Record<string, Aggregate> = {};
  for (const [m, t] of tables) summary[m] = { ...aggregate(t.rows, t.classes), metric: m };
  return { metrics, emptyPolicy, cases, summary };
}

/** JSON number encoding: NaN → null, ±Infinity → "Infinity"/"-Infinity" (JSON has neither). */
function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) return Number.isNaN(value) ? null : value > 0 ? 'Infinity' : '-Infinity';
  return value;
}

/** The report as one JSON document (NaN → null, ±∞ → "Infinity"/"-Infinity"). */
export function evaluationToJson(report: EvaluationReport): string {
  return `${JSON.stringify(report, jsonReplacer, 2)}\n`;
}

function csvNumber(v: number | undefined): string {
  if (v === undefined) return '';
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  return String(v);
}

function csvText(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * One row per case and class, one column per metric: `case,class,<metrics...>`. A pooled metric
 * (generalizedDiceScore) appears in the rows of class 'all'; a metric that does not score a class leaves
 * the cell empty. NaN is written `NaN`.
 */
export function evaluationToCsv(report: EvaluationReport): string {
  const lines = [['case', 'class', ...report.metrics].join(',')];
  for (const c of report.cases) {
    const keys = new Set<string>();
    for (const m of report.metrics) for (const k of Object.keys(c.values[m] ?? {})) keys.add(k);
    const ordered = [...keys].sort((a, b) => (a === 'all' ? 1 : b === 'all' ? -1 : Number(a) - Number(b)));
    for (const k of ordered) lines.push([csvText(c.id), k, ...report.metrics.map((m) => csvNumber(c.values[m]?.[k]))].join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** One row per metric and class: `metric,class,mean,median,std,min,max,count,total` (count = non-NaN values). */
export function evaluationSummaryCsv(report: EvaluationReport): string {
  const lines = ['metric,class,mean,median,std,min,max,count,total'];
  for (const m of report.metrics) {
    const a = report.summary[m];
    if (a === undefined) continue;
    const rows: [string, (typeof a.overall)][] = a.classes.map((c, j) => [classKey(c), a.perClass[j]!]);
    if (a.classes.length > 1) rows.push(['overall', a.overall]);
    for (const [k, s] of rows) {
      lines.push([m, k, s.mean, s.median, s.std, s.min, s.max].map((v) => (typeof v === 'number' ? csvNumber(v) : v)).join(',') + `,${s.count},${s.total}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
