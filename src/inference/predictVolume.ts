import type * as tf from '@tensorflow/tfjs';
import { zScore } from '../data/normalization.js';
import { channelsLastToVolume, volumeToChannelsLast, type Volume } from '../data/volume.js';
import { getNetworkGeometry } from '../networks/registry.js';
import type { ModelCard } from '../networks/modelCard.js';
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
