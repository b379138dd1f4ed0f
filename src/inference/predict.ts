import type * as tf from '@tensorflow/tfjs';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { readNifti, writeNifti } from '../data/node/niftiFiles.js';
import { zScore } from '../data/normalization.js';
import { channelsLastToVolume, volumeToChannelsLast, type Volume } from '../data/volume.js';
import { getNetworkGeometry } from '../networks/registry.js';
import type { ModelCard } from '../networks/modelCard.js';
import { loadModel } from '../networks/modelFiles.js';
import { readModelCard } from '../networks/node/modelCardFile.js';
import { inferenceWindow, probabilitiesToLabels, slidingWindowInference, type SlidingWindowOptions } from './slidingWindow.js';

export interface PredictVolumeOptions extends Omit<SlidingWindowOptions, 'windowSize' | 'outputShapeFor'> {
  windowSize?: readonly number[];
}

export interface VolumePrediction {
  /** Probabilities per class (float32, one channel per class), in the image's geometry. */
  probabilities: Volume;
  /** Label map (uint8 for up to 255 classes, else int32), in the image's geometry. */
  labels: Volume;
  windows: number;
}

/** Segments one image volume with a trained model and its card (normalisation, window, geometry). */
export function predictVolume(model: tf.LayersModel, card: ModelCard, image: Volume, options: PredictVolumeOptions = {}): VolumePrediction {
  if (image.channels !== card.inputChannels) {
    throw new Error(`predictVolume: the model takes ${card.inputChannels} channel(s), the image has ${image.channels}`);
  }
  if (image.shape.length !== card.patchSize.length) {
    throw new Error(`predictVolume: the model is ${card.patchSize.length}D, the image has shape [${image.shape.join(', ')}]`);
  }
  const normalized = card.normalization === 'zscore' ? zScore(image) : image;
  const geometry = getNetworkGeometry(card.network.name, card.network.options);
  const { windowSize, ...rest } = options;
  const outputShapeFor = (w: readonly number[]): number[] => geometry.outputShapeFor(w);
  const result = slidingWindowInference(model, volumeToChannelsLast(normalized), image.shape, {
    ...rest,
    windowSize: windowSize ?? inferenceWindow(card.patchSize, outputShapeFor, image.shape),
    outputShapeFor,
  });
  const labels = probabilitiesToLabels(result.output, result.channels);
  const probabilities = channelsLastToVolume(result.output, image);
  const labelVolume = channelsLastToVolume(result.channels <= 256 ? Uint8Array.from(labels) : labels, image);
  return { probabilities, labels: labelVolume, windows: result.windows };
}

const niftiPattern = /\.nii(\.gz)?$/i;

/** The NIfTI files named by `input`: the file itself, or the .nii/.nii.gz files of a folder (sorted). */
export function listNiftiInputs(input: string): string[] {
  if (!existsSync(input)) throw new Error(`predict: input '${input}' does not exist`);
  if (statSync(input).isDirectory()) {
    const files = readdirSync(input).filter((f) => niftiPattern.test(f)).sort();
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
  options: PredictVolumeOptions & { probabilities?: boolean; onCase?: (index: number, total: number, file: string) => void } = {},
): Promise<PredictFilesResult[]> {
  const files = listNiftiInputs(input);
  const card = readModelCard(modelDir);
  const model = await loadModel(modelDir);
  const { probabilities: writeProbabilities, onCase, ...predictOptions } = options;
  const results: PredictFilesResult[] = [];
  try {
    for (const [i, file] of files.entries()) {
      onCase?.(i, files.length, file);
      const t0 = performance.now();
      const image = await readNifti(file);
      const prediction = predictVolume(model, card, image, predictOptions);
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
