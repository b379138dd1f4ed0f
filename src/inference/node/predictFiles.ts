import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { readNifti, writeNifti } from '../../data/node/niftiFiles.js';
import { loadModel } from '../../networks/node/modelFiles.js';
import { MODEL_CARD } from '../../networks/modelCard.js';
import { readModelCard } from '../../networks/node/modelCardFile.js';
import { combinePostprocessing, postprocessedLabels } from '../postprocessing.js';
import { checkEnsembleCards, predictEnsemble, type EnsembleMember, type PredictVolumeOptions, type VolumePrediction } from '../predictVolume.js';
import { readPostprocessing } from './postprocessingFile.js';
import { parsePreprocessing, preprocessToTarget, restoreToSource, type TargetPreprocessing } from '../../data/targetPreprocessing.js';
import type { Volume } from '../../data/volume.js';
import type { ModelCard } from '../../networks/modelCard.js';

/**
 * The training grid the models' cards record (`preprocessing`, a run trained from a plan), or undefined
 * when they record none. An ensemble's members must agree: they predict on one grid.
 */
function cardPreprocessing(cards: readonly ModelCard[], dirs: readonly string[]): TargetPreprocessing | undefined {
  const recorded = cards.map((card) => (card as { preprocessing?: unknown }).preprocessing);
  const first = JSON.stringify(recorded[0] ?? null);
  recorded.forEach((r, i) => {
    if (JSON.stringify(r ?? null) !== first) {
      throw new Error(`predict: the models ${dirs[0]} and ${dirs[i]} were trained on different grids or normalisations (their cards' preprocessing differ); an ensemble needs one`);
    }
  });
  return recorded[0] === undefined ? undefined : parsePreprocessing(recorded[0], `predict: model card of ${dirs[0]}`);
}

/**
 * `predictEnsemble` on the models' training grid when their cards record a `preprocessing`: the image
 * goes to RAS and the target spacing and is normalised per channel as in training, and the prediction
 * (post-processed there, where its rule was decided) comes back on the image's exact grid (shape and
 * affine). Cards without it predict on the image's own grid as before.
 */
function predictOnCardGrid(members: readonly EnsembleMember[], preprocessing: TargetPreprocessing | undefined, image: Volume, options: PredictVolumeOptions): VolumePrediction {
  if (preprocessing === undefined) return predictEnsemble(members, image, options);
  const grid = preprocessToTarget(image, undefined, preprocessing);
  const prediction = predictEnsemble(members, grid.image, options);
  return { ...prediction, ...restoreToSource(prediction, grid.transform, members[0]!.card.classes) };
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
  /** Structures (labels) whose largest connected component only was kept (`postprocessing.json`). */
  postprocessed: number[];
  seconds: number;
}

/**
 * Segments NIfTI files with the model folder `modelDir` (model.json, weights.bin, gendice.json), or the
 * average of several (`predictEnsemble`), and writes `<case>.nii.gz` label maps (and
 * `<case>_prob.nii.gz` probabilities when asked) in `outDir`, in the source images' geometry (same
 * affine, spacing and voxel order). A model folder's `postprocessing.json` is applied to the labels
 * unless `postprocessing` is false (several models: `combinePostprocessing`).
 */
export async function predictFiles(
  modelDir: string | readonly string[],
  input: string,
  outDir: string,
  options: Omit<PredictVolumeOptions, 'postprocessing'> & {
    probabilities?: boolean;
    /** Apply the model folders' `postprocessing.json` (default true). */
    postprocessing?: boolean;
    onCase?: (index: number, total: number, file: string) => void;
    /** Called for each hidden file of an input folder that is left out. */
    onSkipped?: (file: string) => void;
  } = {},
): Promise<PredictFilesResult[]> {
  const { probabilities: writeProbabilities, postprocessing: usePostprocessing = true, onCase, onSkipped, ...predictOptions } = options;
  const dirs = typeof modelDir === 'string' ? [modelDir] : [...modelDir];
  if (dirs.length === 0) throw new Error('predictFiles: modelDir names no model folder');
  const files = listNiftiInputs(input, onSkipped);
  for (const d of dirs) {
    const inside = ['model-best', 'model'].filter((m) => existsSync(join(d, m, MODEL_CARD)));
    if (!existsSync(join(d, MODEL_CARD)) && inside.length > 0) {
      throw new Error(`predict: --model '${d}' is a training run folder, not a model folder; give ${inside.map((m) => `'${join(d, m)}'`).join(' or ')}`);
    }
  }
  const cards = dirs.map((d) => readModelCard(d));
  checkEnsembleCards(cards.map((card, i) => ({ card, name: dirs[i]! })));
  const preprocessing = cardPreprocessing(cards, dirs);
  const postprocessing = usePostprocessing ? combinePostprocessing(dirs.map((d) => readPostprocessing(d))) : undefined;
  const members: EnsembleMember[] = [];
  const results: PredictFilesResult[] = [];
  try {
    for (const [i, d] of dirs.entries()) members.push({ model: await loadModel(d), card: cards[i]!, name: d });
    for (const [i, file] of files.entries()) {
      onCase?.(i, files.length, file);
      const t0 = performance.now();
      const image = await readNifti(file);
      const prediction = predictOnCardGrid(members, preprocessing, image, postprocessing === undefined ? predictOptions : { ...predictOptions, postprocessing });
      const id = basename(file).replace(niftiPattern, '').replace(/_0000$/, '');
      const labelsPath = join(outDir, `${id}.nii.gz`);
      await writeNifti(labelsPath, prediction.labels);
      const postprocessed = postprocessing === undefined ? [] : postprocessedLabels(postprocessing);
      const entry: PredictFilesResult = { input: file, labels: labelsPath, windows: prediction.windows, postprocessed, seconds: 0 };
      if (writeProbabilities) {
        entry.probabilities = join(outDir, `${id}_prob.nii.gz`);
        await writeNifti(entry.probabilities, prediction.probabilities);
      }
      entry.seconds = (performance.now() - t0) / 1000;
      results.push(entry);
    }
  } finally {
    for (const m of members) m.model.dispose();
  }
  return results;
}
