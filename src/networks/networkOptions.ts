import { ACTIVATIONS, type Activation } from '../common/activation.js';
import { finiteNumber, integer, numberList, oneOf } from '../common/options.js';

/** Normalization after each convolution. */
export const NORMALIZATIONS = ['none', 'batch', 'instance'] as const;
export type Normalization = (typeof NORMALIZATIONS)[number];
/** Activation of a network's last layer (the activation vocabulary shared with losses and inference). */
export type OutputActivation = Activation;
export type SpatialDims = 2 | 3;

/** Options every network accepts. */
export interface CommonNetworkOptions {
  /** Channels (modalities) of the input image, e.g. 3 for T1, T2, FLAIR. Default 1. */
  inputChannels?: number;
  /** Output channels: classes including background. Default 2. */
  classes?: number;
  /** Normalization after each convolution. Default depends on the network (as its paper). */
  normalization?: Normalization;
  /** Dropout rate in [0, 1) at the place the network's paper puts it. Default 0. */
  dropout?: number;
  /** Activation of the last layer: probabilities for the overlap losses, or logits ('none'). Default 'softmax'. */
  outputActivation?: OutputActivation;
  /** Fixed spatial input size (2 or 3 numbers), checked at creation. Default: any accepted size. */
  inputShape?: readonly number[];
  /** Seed of the weight initialisers, for reproducible models. Default: unseeded. */
  seed?: number;
}

/** The names of {@link CommonNetworkOptions}, which every network's list of known options starts with. */
export const COMMON_OPTION_NAMES = [
  'inputChannels',
  'classes',
  'normalization',
  'dropout',
  'outputActivation',
  'inputShape',
  'seed',
] as const;

export interface ResolvedCommon {
  inputChannels: number;
  classes: number;
  normalization: Normalization;
  dropout: number;
  outputActivation: OutputActivation;
  inputShape: number[] | undefined;
  seed: number | undefined;
}

/** Checks the common options of `network` and fills in their defaults. */
export function resolveCommon(
  network: string,
  dims: SpatialDims,
  options: CommonNetworkOptions,
  defaultNormalization: Normalization,
): ResolvedCommon {
  const inputChannels = integer(network, 'inputChannels', options.inputChannels ?? 1, { min: 1 });
  const classes = integer(network, 'classes', options.classes ?? 2, { min: 1 });
  const normalization = oneOf(network, 'normalization', options.normalization ?? defaultNormalization, NORMALIZATIONS);
  const outputActivation = oneOf(network, 'outputActivation', options.outputActivation ?? 'softmax', ACTIVATIONS);
  const dropout = finiteNumber(network, 'dropout', options.dropout ?? 0, { min: 0, max: 1, maxExclusive: true });
  if (outputActivation === 'softmax' && classes < 2) {
    throw new Error(`${network}: outputActivation 'softmax' needs classes >= 2, got classes = ${classes}; use 'sigmoid'`);
  }
  const inputShape =
    options.inputShape === undefined ? undefined : numberList(network, 'inputShape', options.inputShape, { length: dims, integer: true, min: 1 });
  const seed = options.seed === undefined ? undefined : finiteNumber(network, 'seed', options.seed);
  return { inputChannels, classes, normalization, dropout, outputActivation, inputShape, seed };
}
