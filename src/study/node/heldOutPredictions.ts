import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../common/node/atomicWrite.js';
import { writeNifti } from '../../data/node/niftiFiles.js';
import { channelsLastToVolume, volumeToChannelsLast } from '../../data/volume.js';
import { inferenceWindow, probabilitiesToLabels, slidingWindowInference } from '../../inference/slidingWindow.js';
import { dice } from '../../metrics/dice.js';
import { loadModel } from '../../networks/node/modelFiles.js';
import { getNetworkGeometry } from '../../networks/registry.js';
import { readModelCard } from '../../networks/node/modelCardFile.js';
import type { TrainingConfig } from '../../training/config.js';
import type { TrainingCase } from '../../training/node/trainingData.js';

/** The folder of a trial's held-out predictions, inside its trial folder. */
export const PREDICTIONS_DIR = 'predictions';
/** The index of that folder: which case is in which file, with its Dice. */
export const PREDICTIONS_FILE = 'predictions.json';

/** One held-out test case of a trial: its predicted label map and its foreground Dice. */
export interface HeldOutPrediction {
  /** The case id (`phantom_007`, or the dataset's case name). */
  case: string;
  /** The label map's file name inside `predictions/` (`<case>.nii.gz`, uint8). */
  file: string;
  /** Mean foreground Dice of the case (over foreground classes; NaN written as null when undefined). */
  dice: number | null;
  /** Spatial shape of the label map. */
  shape: number[];
}

/** `predictions/predictions.json`. */
export interface HeldOutPredictions {
  cases: HeldOutPrediction[];
}

/**
 * Segments a finished trial's held-out test cases with its final model (`<trial>/model` and its card), the same way
 * the trainer scores them (sliding windows of `inferenceWindow`, the config's validation overlap, on
 * the normalised case), and writes each label map as `<trial>/predictions/<case>.nii.gz` (uint8, in the
 * case's geometry) and the index `predictions.json` with every case's foreground Dice. Returns the
 * index; writes nothing when there are no test cases.
 */
export async function writeHeldOutPredictions(trialFolder: string, config: TrainingConfig, cases: readonly TrainingCase[]): Promise<HeldOutPredictions> {
  const index: HeldOutPredictions = { cases: [] };
  if (cases.length === 0) return index;
  const modelDir = join(trialFolder, 'model');
  const card = readModelCard(modelDir);
  const classes = card.classes;
  const model = await loadModel(modelDir);
  try {
    const geometry = getNetworkGeometry(card.network.name, card.network.options);
    const outputShapeFor = (w: readonly number[]): number[] => geometry.outputShapeFor(w);
    const out = join(trialFolder, PREDICTIONS_DIR);
    for (const c of cases) {
      const result = slidingWindowInference(model, volumeToChannelsLast(c.image), c.image.shape, {
        windowSize: inferenceWindow(config.patchSize, outputShapeFor, c.image.shape),
        overlap: config.validation.overlap,
        outputShapeFor,
      });
      const labels = probabilitiesToLabels(result.output, result.channels);
      const shape = [1, ...c.image.shape, 1];
      const reference = Int32Array.from(volumeToChannelsLast(c.label));
      const perClass = dice({ data: labels, shape }, { data: reference, shape }, { numClasses: classes, includeBackground: false }).values[0]!;
      const finite = perClass.filter(Number.isFinite);
      const caseDice = finite.length ? finite.reduce((a, b) => a + b, 0) / finite.length : null;
      const file = `${c.id}.nii.gz`;
      await writeNifti(join(out, file), channelsLastToVolume(Uint8Array.from(labels), c.image));
      index.cases.push({ case: c.id, file, dice: caseDice, shape: [...c.image.shape] });
    }
    writeFileAtomic(join(out, PREDICTIONS_FILE), `${JSON.stringify(index, null, 2)}\n`);
    return index;
  } finally {
    model.dispose();
  }
}

/**
 * The held-out predictions stored in a trial folder, or undefined when it has none (a trial recorded
 * before gendice kept them, a trial without test cases, a failed trial). A damaged index throws,
 * naming the file.
 */
export function readHeldOutPredictions(trialFolder: string): HeldOutPredictions | undefined {
  const path = join(trialFolder, PREDICTIONS_DIR, PREDICTIONS_FILE);
  if (!existsSync(path)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`readHeldOutPredictions: ${path} is not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const cases = (parsed as { cases?: unknown }).cases;
  if (!Array.isArray(cases) || !cases.every((c) => typeof c?.case === 'string' && typeof c?.file === 'string' && (c.dice === null || typeof c.dice === 'number'))) {
    throw new Error(`readHeldOutPredictions: ${path} has no valid 'cases' list ({case, file, dice} each)`);
  }
  return { cases: cases as HeldOutPrediction[] };
}
