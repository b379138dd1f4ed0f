import { summarize, type Summary } from './aggregate.js';
import type { EvaluationReport } from './evaluate.js';

/** The headline of one metric: over the foreground classes, with each class beside it. */
export interface MetricHeadline {
  metric: string;
  /** Over every case and foreground class (class > 0, or a pooled column); NaN values skipped and counted. */
  foreground: Summary;
  /** Per scored class (background included when the metric scores it), over cases. */
  perClass: Array<{ class: string; summary: Summary }>;
}

/**
 * The headline of each metric of a report. The background (class 0) is left out of the headline:
 * a background Dice near 1 would lift "dice: mean 0.67" over a lesion that scores 0.36.
 */
export function evaluationHeadlines(report: EvaluationReport): MetricHeadline[] {
  return report.metrics.flatMap((metric) => {
    const a = report.summary[metric];
    if (a === undefined) return [];
    const keys = a.classes.map((c) => (c < 0 ? 'all' : String(c)));
    const foreground = keys.filter((k) => k !== '0');
    const values = report.cases.flatMap((c) => foreground.map((k) => c.values[metric]?.[k] ?? Number.NaN));
    return [{ metric, foreground: summarize(values), perClass: keys.map((k, j) => ({ class: k, summary: a.perClass[j]! })) }];
  });
}

function fixed(v: number): string {
  return Number.isFinite(v) ? v.toFixed(4) : String(v);
}

/**
 * One line per metric: `dice: foreground mean 0.3600, median 0.3600 over 12 of 12 values (class 1 0.3600; class 0 (background) 0.9886)`,
 * the per-class numbers being means over cases.
 */
export function evaluationSummaryLines(report: EvaluationReport): string[] {
  return evaluationHeadlines(report).map(({ metric, foreground: f, perClass }) => {
    const classes = perClass
      .map(({ class: k, summary: s }) => `${k === 'all' ? 'pooled' : k === '0' ? 'class 0 (background)' : `class ${k}`} ${fixed(s.mean)}`)
      .join('; ');
    return `${metric}: foreground mean ${fixed(f.mean)}, median ${fixed(f.median)} over ${f.count} of ${f.total} values (${classes})`;
  });
}
