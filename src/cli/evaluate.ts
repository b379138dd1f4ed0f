import type { Command } from 'commander';
import { evaluateFolders } from '../inference/node/evaluateFolders.js';
import { EVALUATION_METRICS, evaluationToJson, type EvaluationMetricName } from '../metrics/evaluate.js';
import { writeEvaluation } from '../metrics/node/evaluationFile.js';
import { evaluationSummaryLines } from '../metrics/evaluationSummary.js';
import { EMPTY_POLICIES, type EmptyPolicy } from '../metrics/metricOptions.js';
import { choiceList, choiceOption } from './flagParsers.js';
import { log, numberIn, positiveInteger, printResult } from './output.js';

/** Registers `gendice evaluate`: compares folders of predicted and reference label maps (`evaluateFolders`). */
export function registerEvaluateCommand(program: Command): void {
  program
    .command('evaluate')
    .description('compare predicted label maps with references (paired by file name): Dice, HD95, surface distances')
    .requiredOption('--pred <dir>', 'folder of predicted label maps')
    .requiredOption('--ref <dir>', 'folder of reference label maps')
    .option('--metrics <list>', `comma-separated: ${EVALUATION_METRICS.join(', ')}`, choiceList(EVALUATION_METRICS), ['dice', 'hd95', 'averageSurfaceDistance'] as EvaluationMetricName[])
    .addOption(choiceOption('--empty-policy <policy>', 'what a metric gives for empty masks', EMPTY_POLICIES).default('nan'))
    .option('--tolerance <mm>', 'surface Dice tolerance in mm', numberIn('--tolerance', 0, Infinity))
    .option('--num-classes <k>', 'classes including background (default: from the labels)', positiveInteger('--num-classes'))
    .option('--out <file>', 'also write the report to a .json or .csv file')
    .option('--json', 'print the report as one JSON document')
    .action(async (flags: { pred: string; ref: string; metrics: EvaluationMetricName[]; emptyPolicy: EmptyPolicy; tolerance?: number; numClasses?: number; out?: string; json?: boolean }) => {
      const report = await evaluateFolders(flags.pred, flags.ref, {
        metrics: flags.metrics,
        emptyPolicy: flags.emptyPolicy,
        ...(flags.tolerance !== undefined ? { toleranceMm: flags.tolerance } : {}),
        ...(flags.numClasses !== undefined ? { numClasses: flags.numClasses } : {}),
      });
      for (const file of report.skipped) log(`evaluate: skipped hidden file ${file}`);
      if (flags.out) writeEvaluation(report, flags.out);
      if (flags.json) {
        process.stdout.write(evaluationToJson(report));
        return;
      }
      const lines = [`${report.cases.length} case(s)${report.unmatched.length ? `; predictions without reference: ${report.unmatched.join(', ')}` : ''}`];
      lines.push(...evaluationSummaryLines(report));
      if (flags.out) lines.push(`report: ${flags.out}`);
      printResult(false, report, lines.join('\n'));
    });
}
