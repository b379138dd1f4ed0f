import type { Command } from 'commander';
import { EVALUATION_METRICS, type EvaluationMetricName } from '../metrics/evaluate.js';
import { writeEvaluation, evaluationToJson } from '../metrics/evaluate.js';
import { evaluationSummaryLines } from '../metrics/evaluationSummary.js';
import { evaluateFolders } from '../inference/evaluateFolders.js';
import { predictFiles } from '../inference/predict.js';
import { selectEngine } from '../engine/index.js';
import { EMPTY_POLICIES, type EmptyPolicy } from '../metrics/metricOptions.js';
import { BLENDING_MODES } from '../inference/slidingWindow.js';
import { choiceList, choiceOption } from './flagParsers.js';
import { log, numberIn, positiveInteger, printResult } from './output.js';

/** Registers `gendice predict` and `gendice evaluate`. */
export function registerPredictCommands(program: Command): void {
  program
    .command('predict')
    .description('segment NIfTI images with a trained model (sliding-window inference), writing label maps in the source geometry')
    .requiredOption('--model <dir>', 'model folder written by gendice train (model.json, weights.bin, gendice.json)')
    .requiredOption('--input <path>', 'a .nii/.nii.gz image or a folder of them')
    .requiredOption('--out <dir>', 'output folder for <case>.nii.gz label maps')
    .option('--overlap <fraction>', 'window overlap in [0, 1)', numberIn('--overlap', 0, 1), 0.25)
    .addOption(choiceOption('--blending <mode>', 'how overlapping windows are blended', BLENDING_MODES).default('gaussian'))
    .option('--batch-size <n>', 'windows per forward pass', positiveInteger('--batch-size'), 4)
    .option('--probabilities', 'also write <case>_prob.nii.gz class probabilities')
    .option('--json', 'print the result as one JSON document')
    .action(async (flags: { model: string; input: string; out: string; overlap: number; blending: (typeof BLENDING_MODES)[number]; batchSize: number; probabilities?: boolean; json?: boolean }) => {
      await selectEngine();
      const results = await predictFiles(flags.model, flags.input, flags.out, {
        overlap: flags.overlap,
        blending: flags.blending,
        batchSize: flags.batchSize,
        probabilities: flags.probabilities ?? false,
        onCase: (i, n, file) => log(`predict ${i + 1}/${n} ${file}`),
      });
      printResult(flags.json, { cases: results }, results.map((r) => `${r.input} -> ${r.labels} (${r.windows} windows, ${r.seconds.toFixed(1)} s)`).join('\n'));
    });

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
      const metrics = flags.metrics;
      const report = await evaluateFolders(flags.pred, flags.ref, {
        metrics,
        emptyPolicy: flags.emptyPolicy,
        ...(flags.tolerance !== undefined ? { toleranceMm: flags.tolerance } : {}),
        ...(flags.numClasses !== undefined ? { numClasses: flags.numClasses } : {}),
      });
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
