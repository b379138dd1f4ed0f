import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { readNifti, writeNifti } from '../../data/node/niftiFiles.js';
import { loadModel } from '../../networks/node/modelFiles.js';
import { readModelCard } from '../../networks/node/modelCardFile.js';
import { predictVolume, type PredictVolumeOptions, type VolumePrediction } from '../predictVolume.js';
import type * as tf from '@tensorflow/tfjs';
import { parsePreprocessing, preprocessToTarget, restoreToSource } from '../../data/targetPreprocessing.js';
import type { Volume } from '../../data/volume.js';
import type { ModelCard } from '../../networks/modelCard.js';

/**
 * `predictVolume` on the model's training grid when its card records a `preprocessing` (a run trained
 * from a plan): the image goes to RAS and the target spacing and is normalised per channel as in
 * training, and the prediction comes back on the image's exact grid (shape and affine). Cards without
 * it predict on the image's own grid as before.
 */
function predictOnCardGrid(model: tf.LayersModel, card: ModelCard, image: Volume, options: PredictVolumeOptions): VolumePrediction {
  const recorded = (card as { preprocessing?: unknown }).preprocessing;
  if (recorded === undefined) return predictVolume(model, card, image, options);
  const preprocessing = parsePreprocessing(recorded, 'predict: model card');
  const grid = preprocessToTarget(image, undefined, preprocessing);
  const prediction = predictVolume(model, card, grid.image, options);
  return { ...prediction, ...restoreToSource(prediction, grid.transform, card.classes) };
}

const niftiPattern = /\.nii(\.gz)?$/i;

/**
 * The NIfTI files named by `input`: the file itself, or the .nii/.nii.gz files of a folder (sorted).
 * Hidden files of a folder (names starting with '.', such as macOS's AppleDouble '._case.nii.gz' in the
 * Decathlon archives) are left out and passed to `onSkipped`.
 */
export function listNiftiInputs(input: string, onSkipped?: (file: string) => void): string[] {
  if (!existsSync(input)) throw new Error(`predict: input '${input}' does not exist`);
  if (statSync(input).isDirectory()) {
    const all = readdirSync(input).filter((f) => niftiPattern.test(f)).sort();
    for (const f of all.filter((name) => name.startsWith('.'))) onSkipped?.(join(input, f));
    const files = all.filter((name) => !name.startsWith('.'));
    if (files.length === 0) throw new Error(`predict: folder '${input}' holds no .nii or .nii.gz file`);
    return files.map((f) => join(input, f));
  }
  if (!niftiPattern.test(input)) throw new Error(`predict: input '${input}' is not a .nii or .nii.gz file`);
  return [input];
}

export interface PredictFilesResult {
  input: string;
  labels: string;
  probabilities?: string;
  windows: number;
  seconds: number;
}

/**
 * Segments NIfTI files with the model folder `modelDir` (model.json, weights.bin, gendice.json) and
 * writes `<case>.nii.gz` label maps (and `<case>_prob.nii.gz` probabilities when asked) in `outDir`,
 * in the source images' geometry (same affine, spacing and voxel order).
 */
export async function predictFiles(
  modelDir: string,
  input: string,
  outDir: string,
  options: PredictVolumeOptions & {
    probabilities?: boolean;
    onCase?: (index: number, total: number, file: string) => void;
    /** Called for each hidden file of an input folder that is left out. */
    onSkipped?: (file: string) => void;
  } = {},
): Promise<PredictFilesResult[]> {
  const { probabilities: writeProbabilities, onCase, onSkipped, ...predictOptions } = options;
  const files = listNiftiInputs(input, onSkipped);
  const card = readModelCard(modelDir);
  const model = await loadModel(modelDir);
  const results: PredictFilesResult[] = [];
  try {
    for (const [i, file] of files.entries()) {
      onCase?.(i, files.length, file);
      const t0 = performance.now();
      const image = await readNifti(file);
      const prediction = predictOnCardGrid(model, card, image, predictOptions);
      const id = basename(file).replace(niftiPattern, '').replace(/_0000$/, '');
      const labelsPath = join(outDir, `${id}.nii.gz`);
      await writeNifti(labelsPath, prediction.labels);
      const entry: PredictFilesResult = { input: file, labels: labelsPath, windows: prediction.windows, seconds: 0 };
      if (writeProbabilities) {
        entry.probabilities = join(outDir, `${id}_prob.nii.gz`);
        await writeNifti(entry.probabilities, prediction.probabilities);
      }
      entry.seconds = (performance.now() - t0) / 1000;
      results.push(entry);
    }
  } finally {
    model.dispose();
  }
  return results;
}
