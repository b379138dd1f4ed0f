/**
 * The models of test/browser/modelRoundTrip.test.ts, used by Node (the test) and by the page
 * (pages/modelRoundTrip.ts, bundled): tiny networks that between them hold every custom layer gendice
 * registers, seeded weights moved off their initial values (batch-norm statistics included) and a seeded
 * image. Only universal code, so the page and Node compute the same numbers.
 */
import type * as tf from '@tensorflow/tfjs';
import { Random } from '../../../src/common/random.js';
import type { ModelCard } from '../../../src/networks/modelCard.js';

export interface RoundTripCase {
  name: string;
  network: string;
  options: Record<string, unknown>;
  patchSize: number[];
  image: number[];
  inputChannels: number;
  classes: number;
}

export const ROUND_TRIP_CASES: RoundTripCase[] = [
  // SpatialSizeCheck, TF.js batch normalisation (2D), two input channels, three classes
  { name: 'unet2d', network: 'unet2d', options: { depth: 1, baseFilters: 2, normalization: 'batch' }, patchSize: [8, 8], image: [16, 12], inputChannels: 2, classes: 3 },
  // Maxout
  { name: 'twoPathCnn', network: 'twoPathCnn', options: { localFilters: 4, globalFilters: 4, maxoutPieces: 2 }, patchSize: [15, 15], image: [18, 16], inputChannels: 1, classes: 2 },
  // InstanceNormalization, UpSampling3D, SpatialSizeCheck
  { name: 'unet3d', network: 'unet3d', options: { depth: 1, baseFilters: 2, normalization: 'instance', upsampling: 'nearest' }, patchSize: [4, 4, 4], image: [8, 6, 4], inputChannels: 1, classes: 2 },
  // BatchNormalizationND (rank 5), UpSampling3D, CroppingND
  { name: 'deepMedic', network: 'deepMedic', options: { pathwayFilters: [2, 2], fullyConnected: [4] }, patchSize: [15, 15, 15], image: [15, 15, 15], inputChannels: 1, classes: 2 },
  // ChannelPadding, dilated 3D convolutions, BatchNormalizationND
  { name: 'highResNet', network: 'highResNet', options: { filters: [2, 2, 3], dilations: [1, 2], blocksPerStage: 1, featureWidth: 2 }, patchSize: [6, 6, 6], image: [8, 7, 6], inputChannels: 1, classes: 2 },
];

/** The image of the model folder `gendice train` writes for test/training/tinyConfig.ts (a unet2d of depth 2). */
export const TRAINED_CASE: RoundTripCase = { name: 'trained', network: 'unet2d', options: { depth: 2, baseFilters: 4 }, patchSize: [16, 16], image: [24, 20], inputChannels: 1, classes: 2 };

/** Seeded values in [-1, 1) (gendice's Random, the same in Node and in the page). */
export function seededValues(n: number, seed: number): Float32Array {
  const random = new Random(seed);
  return Float32Array.from({ length: n }, () => 2 * random.next() - 1);
}

/** The network options of a case as `gendice train` stores them in the card (seeded, logits out). */
export function caseOptions(c: RoundTripCase): Record<string, unknown> {
  return { ...c.options, inputChannels: c.inputChannels, classes: c.classes, outputActivation: 'none', seed: 7 };
}

export function caseCard(c: RoundTripCase): ModelCard {
  return { network: { name: c.network, options: caseOptions(c) }, patchSize: c.patchSize, normalization: 'zscore', classes: c.classes, inputChannels: c.inputChannels, loss: 'gdl' };
}

/** The case's image: seeded values with a bright block, in file order (x fastest, channel slowest). */
export function caseImage(c: RoundTripCase): Float32Array {
  const n = c.image.reduce((a, b) => a * b, 1);
  const noise = seededValues(n * c.inputChannels, 91);
  return noise.map((v, i) => 100 + 20 * v + ((i % n) % c.image[0]! < c.image[0]! / 2 ? 40 : 0));
}

/**
 * Moves every weight off its initial value, seeded: kernels and biases by ±0.1, batch-norm variances to
 * [0.5, 1.5), so that a weight lost or mixed up on the way changes the prediction.
 */
export function perturbWeights(t: typeof tf, model: tf.LayersModel, seed: number): void {
  const weights = model.getWeights();
  const next = weights.map((w, i) => {
    const u = t.tensor(seededValues(w.size, seed + i), w.shape);
    const name = model.weights[i]!.name;
    const out = /variance/.test(name) ? t.add(t.abs(u), 0.5) : t.add(w, t.mul(u, 0.1));
    u.dispose();
    return out;
  });
  model.setWeights(next);
  t.dispose(next);
}
