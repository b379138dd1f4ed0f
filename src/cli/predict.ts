import type { Command } from 'commander';
import { predictFiles } from '../inference/node/predictFiles.js';
import { selectEngine } from '../engine/node/index.js';
import { BLENDING_MODES } from '../inference/slidingWindow.js';
import { choiceOption } from './flagParsers.js';
import { log, numberIn, positiveInteger, printResult } from './output.js';

/** `--model` may be given several times: the folders accumulate. */
const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Registers `gendice predict`: segments NIfTI images with a trained model folder, or the average of several (`predictFiles`). */
export function registerPredictCommand(program: Command): void {
  program
    .command('predict')
    .description('segment NIfTI images with a trained model (sliding-window inference), writing label maps in the source geometry')
    .requiredOption('--model <dir>', 'model folder written by gendice train (model.json, weights.bin, gendice.json); repeat it to average several models (folds)', collect)
    .requiredOption('--input <path>', 'a .nii/.nii.gz image or a folder of them')
    .requiredOption('--out <dir>', 'output folder for <case>.nii.gz label maps')
    .option('--overlap <fraction>', 'window overlap in [0, 1)', numberIn('--overlap', 0, 1), 0.25)
    .addOption(choiceOption('--blending <mode>', 'how overlapping windows are blended', BLENDING_MODES).default('gaussian'))
    .option('--batch-size <n>', 'windows per forward pass', positiveInteger('--batch-size'), 4)
    .option('--probabilities', 'also write <case>_prob.nii.gz class probabilities')
    .option('--tta', 'test-time mirroring: average the probabilities over the 2^d flips of each window (2^d times slower)')
    .option('--no-postprocessing', "skip the largest-component post-processing of the model folders' postprocessing.json")
    .option('--json', 'print the result as one JSON document')
    .action(
      async (flags: {
        model: string[];
        input: string;
        out: string;
        overlap: number;
        blending: (typeof BLENDING_MODES)[number];
        batchSize: number;
        probabilities?: boolean;
        tta?: boolean;
        postprocessing: boolean;
        json?: boolean;
      }) => {
        await selectEngine();
        const results = await predictFiles(flags.model, flags.input, flags.out, {
          overlap: flags.overlap,
          blending: flags.blending,
          batchSize: flags.batchSize,
          probabilities: flags.probabilities ?? false,
          mirror: flags.tta ?? false,
          postprocessing: flags.postprocessing,
          onCase: (i, n, file) => log(`predict ${i + 1}/${n} ${file}`),
          onSkipped: (file) => log(`predict: skipped hidden file ${file}`),
        });
        const post = (r: (typeof results)[number]): string => (r.postprocessed.length ? `, largest component kept for label(s) ${r.postprocessed.join(', ')}` : '');
        printResult(flags.json, { cases: results }, results.map((r) => `${r.input} -> ${r.labels} (${r.windows} windows${post(r)}, ${r.seconds.toFixed(1)} s)`).join('\n'));
      },
    );
}
