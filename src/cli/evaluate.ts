import type { Command } from 'commander';
import { didYouMean } from '../common/didYouMean.js';
import { evaluateFolders } from '../inference/node/evaluateFolders.js';
import { EVALUATION_METRICS, evaluationToJson, writeEvaluation, type EvaluationMetricName } from '../metrics/evaluate.js';
import { numberIn, positiveInteger, printResult } from './output.js';

/** Registers `gendice evaluate`: compares folders of predicted and reference label maps (`evaluateFolders`). */
export function registerEvaluateCommand(program: Command): void {
  program
    .command('evaluate')
    .description('compare predicted label maps with references (paired by file name): Dice, HD95, surface distances')
    .requiredOption('--pred <dir>', 'folder of predicted label maps')
    .requiredOption('--ref <dir>', 'folder of reference label maps')
    .option('--metrics <list>', `comma-separated: ${EVALUATION_METRICS.join(', ')}`, 'dice,hd95,averageSurfaceDistance')
    .option('--empty-policy <policy>', "'nan' (default), 'one' or 'worst'", 'nan')
    .option('--tolerance <mm>', 'surface Dice tolerance in mm', numberIn('--tolerance', 0, Infinity))
    .option('--num-classes <k>', 'classes including background (default: from the labels)', positiveInteger('--num-classes'))
    .option('--out <file>', 'also write the report to a .json or .csv file')
    .option('--json', 'print the report as one JSON document')
    .action(async (flags: { pred: string; ref: string; metrics: string; emptyPolicy: string; tolerance?: number; numClasses?: number; out?: string; json?: boolean }) => {
      const metrics = flags.metrics.split(',').map((m) => m.trim()).filter(Boolean);
      for (const m of metrics) {
        if (!(EVALUATION_METRICS as readonly string[]).includes(m)) throw new Error(`--metrics: unknown metric '${m}'${didYouMean(m, EVALUATION_METRICS)}`);
      }
      if (!['nan', 'one', 'worst'].includes(flags.emptyPolicy)) throw new Error(`--empty-policy must be 'nan', 'one' or 'worst', got '${flags.emptyPolicy}'`);
      const report = await evaluateFolders(flags.pred, flags.ref, {
        metrics: metrics as EvaluationMetricName[],
        emptyPolicy: flags.emptyPolicy as 'nan' | 'one' | 'worst',
        ...(flags.tolerance !== undefined ? { toleranceMm: flags.tolerance } : {}),
        ...(flags.numClasses !== undefined ? { numClasses: flags.numClasses } : {}),
      });
      if (flags.out) writeEvaluation(report, flags.out);
      if (flags.json) {
        process.stdout.write(evaluationToJson(report));
        return;
      }
      const lines = [`${report.cases.length} case(s)${report.unmatched.length ? `; predictions without reference: ${report.unmatched.join(', ')}` : ''}`];
      for (const [metric, agg] of Object.entries(report.summary)) {
        const o = agg.overall;
        lines.push(`${metric}: mean ${o.mean.toFixed(4)}, median ${o.median.toFixed(4)} over ${o.count} of ${o.total} values`);
      }
      if (flags.out) lines.push(`report: ${flags.out}`);
      printResult(false, report, lines.join('\n'));
    });
}
