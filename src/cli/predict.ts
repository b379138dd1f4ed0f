import type { Command } from 'commander';
import { EVALUATION_METRICS, type EvaluationMetricName } from '../metrics/evaluate.js';
import { writeEvaluation, evaluationToJson } from '../metrics/evaluate.js';
import { evaluateFolders } from '../inference/node/evaluateFolders.js';
import { predictFiles } from '../inference/predict.js';
import { selectEngine } from '../engine/node/index.js';
import { didYouMean } from '../common/didYouMean.js';
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
    .option('--blending <mode>', "'gaussian' or 'constant'", 'gaussian')
    .option('--batch-size <n>', 'windows per forward pass', positiveInteger('--batch-size'), 4)
    .option('--probabilities', 'also write <case>_prob.nii.gz class probabilities')
    .option('--json', 'print the result as one JSON document')
    .action(async (flags: { model: string; input: string; out: string; overlap: number; blending: string; batchSize: number; probabilities?: boolean; json?: boolean }) => {
      if (flags.blending !== 'gaussian' && flags.blending !== 'constant') {
        throw new Error(`--blending must be 'gaussian' or 'constant', got '${flags.blending}'`);
      }
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
