import type * as tf from '@tensorflow/tfjs';
import { zScore } from '../data/normalization.js';
import { channelsLastToVolume, volumeToChannelsLast, type Volume } from '../data/volume.js';
import { getNetworkGeometry } from '../networks/registry.js';
import type { ModelCard } from '../networks/modelCard.js';
import { mirroredPredictor } from './mirroring.js';
import { applyPostprocessing, type PostprocessingPlan } from './postprocessing.js';
import { inferenceWindow, probabilitiesToLabels, slidingWindowInference, type SlidingWindowOptions } from './slidingWindow.js';

export interface PredictVolumeOptions extends Omit<SlidingWindowOptions, 'windowSize' | 'outputShapeFor'> {
  windowSize?: readonly number[];
  /** Test-time mirroring: each window's probabilities averaged over the 2^d flips of its axes (`mirroredPredictor`). Default false. */
  mirror?: boolean;
  /** Largest-component post-processing of the label map (`postprocessing.json`); the probabilities are left as predicted. */
  postprocessing?: PostprocessingPlan;
}

export interface VolumePrediction {
  /** Probabilities per class (float32, one channel per class), in the image's geometry. */
  probabilities: Volume;
  /** Label map (uint8 for up to 255 classes, else int32), in the image's geometry. */
  labels: Volume;
  windows: number;
}

/** A model of an ensemble with its card; `name` (its folder) is used in errors. */
export interface EnsembleMember {
  model: tf.LayersModel;
  card: ModelCard;
  name?: string;
}

function memberName(m: Pick<EnsembleMember, 'name'>, i: number): string {
  return m.name === undefined ? `model ${i + 1}` : `model ${i + 1} (${m.name})`;
}

/**
 * Checks that the models of an ensemble agree on classes and input channels; the error names both
 * models: `predictEnsemble: model 2 (b/model) has 3 classes and 1 input channel(s), model 1 (a/model) has 2 and 1; ...`.
 */
export function checkEnsembleCards(members: ReadonlyArray<Pick<EnsembleMember, 'card' | 'name'>>): void {
  const first = members[0]?.card;
  if (first === undefined) throw new Error('predictEnsemble: needs at least one model, got none');
  members.forEach((m, i) => {
    if (m.card.classes !== first.classes || m.card.inputChannels !== first.inputChannels) {
      throw new Error(
        `predictEnsemble: ${memberName(m, i)} has ${m.card.classes} classes and ${m.card.inputChannels} input channel(s), ` +
          `${memberName(members[0]!, 0)} has ${first.classes} and ${first.inputChannels}; ensembled models must agree on classes and input channels`,
      );
    }
  });
}

/** Blended probabilities `[...shape, K]` of one model over a whole image. */
function memberProbabilities(member: EnsembleMember, image: Volume, options: PredictVolumeOptions): { output: Float32Array; channels: number; windows: number } {
  const { card } = member;
  const normalized = card.normalization === 'zscore' ? zScore(image) : image;
  const geometry = getNetworkGeometry(card.network.name, card.network.options);
  const { windowSize, mirror, postprocessing: _postprocessing, activation, ...rest } = options;
  const outputShapeFor = (w: readonly number[]): number[] => geometry.outputShapeFor(w);
  return slidingWindowInference(mirror ? mirroredPredictor(member.model, image.shape.length, activation ?? 'auto') : member.model, volumeToChannelsLast(normalized), image.shape, {
    ...rest,
    ...(mirror ? { activation: 'none' as const } : activation === undefined ? {} : { activation }),
    windowSize: windowSize ?? inferenceWindow(card.patchSize, outputShapeFor, image.shape),
    outputShapeFor,
  });
}

/**
 * Segments one image volume with several models (cross-validation folds, say) and their cards: each
 * model predicts with its own normalisation and window, their probabilities are averaged voxel by
 * voxel, and the labels come from the mean. The models must agree on classes and input channels and
 * be of the image's dimension (errors name the model). One model: `predictVolume`.
 */
export function predictEnsemble(members: readonly EnsembleMember[], image: Volume, options: PredictVolumeOptions = {}): VolumePrediction {
  const fn = members.length === 1 ? 'predictVolume' : 'predictEnsemble';
  checkEnsembleCards(members);
  members.forEach((m) => {
    if (image.channels !== m.card.inputChannels) throw new Error(`${fn}: the model takes ${m.card.inputChannels} channel(s), the image has ${image.channels}`);
    if (image.shape.length !== m.card.patchSize.length) throw new Error(`${fn}: the model is ${m.card.patchSize.length}D, the image has shape [${image.shape.join(', ')}]`);
  });
  const results = members.map((m) => memberProbabilities(m, image, options));
  const { channels } = results[0]!;
  let output = results[0]!.output;
  if (results.length > 1) {
    const sum = new Float64Array(output.length);
    for (const r of results) for (let i = 0; i < sum.length; i++) sum[i] = sum[i]! + r.output[i]!;
    output = Float32Array.from(sum, (s) => s / results.length);
  }
  let labels = probabilitiesToLabels(output, channels);
  if (options.postprocessing !== undefined) labels = applyPostprocessing(labels, image.shape, options.postprocessing);
  const probabilities = channelsLastToVolume(output, image);
  const labelVolume = channelsLastToVolume(channels <= 256 ? Uint8Array.from(labels) : labels, image);
  return { probabilities, labels: labelVolume, windows: results.reduce((a, r) => a + r.windows, 0) };
}

/** Segments one image volume with a trained model and its card (normalisation, window, geometry). */
export function predictVolume(model: tf.LayersModel, card: ModelCard, image: Volume, options: PredictVolumeOptions = {}): VolumePrediction {
  return predictEnsemble([{ model, card }], image, options);
}
