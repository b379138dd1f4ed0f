import * as tf from '@tensorflow/tfjs';
import { didYouMean } from '../common/didYouMean.js';
import { installMissingGradients } from '../engine/gradients/index.js';
import { BatchNormalizationND } from './layers/batchNormalizationND.js';
import { InstanceNormalization } from './layers/instanceNormalization.js';
import { SpatialSizeCheck, sizeError, type SizeRule } from './layers/spatialSizeCheck.js';
import { UpSampling3D } from './layers/upSampling3d.js';

export type Normalisation = 'none' | 'batch' | 'instance';
export type OutputActivation = 'softmax' | 'sigmoid' | 'none';
export type SpatialDims = 2 | 3;

export const NORMALISATIONS: readonly Normalisation[] = ['none', 'batch', 'instance'];
export const OUTPUT_ACTIVATIONS: readonly OutputActivation[] = ['softmax', 'sigmoid', 'none'];

/** Options every network accepts. */
export interface CommonNetworkOptions {
  /** Channels (modalities) of the input image, e.g. 3 for T1, T2, FLAIR. Default 1. */
  inputChannels?: number;
  /** Output channels: classes including background. Default 2. */
  classes?: number;
  /** Normalisation after each convolution. Default depends on the network (as its paper). */
  normalisation?: Normalisation;
  /** Dropout rate in [0, 1) at the place the network's paper puts it. Default 0. */
  dropout?: number;
  /** Activation of the last layer: probabilities for the overlap losses, or logits ('none'). Default 'softmax'. */
  outputActivation?: OutputActivation;
  /** Fixed spatial input size (2 or 3 numbers), checked at creation. Default: any accepted size. */
  inputShape?: readonly number[];
  /** Seed of the weight initialisers, for reproducible models. Default: unseeded. */
  seed?: number;
}

/** How a network maps input sizes to output sizes, for samplers and sliding-window inference. */
export interface NetworkGeometry {
  dims: SpatialDims;
  /** Side of the cube/square of input elements one output element depends on. */
  receptiveField: number;
  /** The accepted input sizes, in words. */
  sizeRule: string;
  /** Spatial output shape for a spatial input shape; throws for sizes the network refuses. */
  outputShapeFor(inputShape: readonly number[]): number[];
}

export interface ResolvedCommon {
  inputChannels: number;
  classes: number;
  normalisation: Normalisation;
  dropout: number;
  outputActivation: OutputActivation;
  inputShape: number[] | undefined;
  seed: number | undefined;
}

export function checkPositiveInteger(network: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new Error(`${network}: ${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

export function checkIntegerList(network: string, name: string, value: unknown, minLength = 1): number[] {
  if (!Array.isArray(value) || value.length < minLength) {
    throw new Error(`${network}: ${name} must be a list of at least ${minLength} positive integers, got ${String(value)}`);
  }
  return value.map((v, i) => checkPositiveInteger(network, `${name}[${i}]`, v));
}

function checkChoice<T extends string>(network: string, name: string, value: unknown, choices: readonly T[]): T {
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    throw new Error(`${network}: unknown ${name} '${String(value)}'${didYouMean(String(value), choices)}`);
  }
  return value as T;
}

/** Rejects option names the network does not know, suggesting the nearest. */
export function checkKnownKeys(network: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new Error(`${network}: unknown option '${key}'${didYouMean(key, known)}`);
  }
}

export const COMMON_KEYS = [
  'inputChannels',
  'classes',
  'normalisation',
  'dropout',
  'outputActivation',
  'inputShape',
  'seed',
] as const;

export function resolveCommon(
  network: string,
  dims: SpatialDims,
  options: CommonNetworkOptions,
  defaultNormalisation: Normalisation,
): ResolvedCommon {
  const inputChannels = checkPositiveInteger(network, 'inputChannels', options.inputChannels ?? 1);
  const classes = checkPositiveInteger(network, 'classes', options.classes ?? 2);
  const normalisation = checkChoice(network, 'normalisation', options.normalisation ?? defaultNormalisation, NORMALISATIONS);
  const outputActivation = checkChoice(network, 'outputActivation', options.outputActivation ?? 'softmax', OUTPUT_ACTIVATIONS);
  const dropout = options.dropout ?? 0;
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) {
    throw new Error(`${network}: dropout must be in [0, 1), got ${String(dropout)}`);
  }
  if (outputActivation === 'softmax' && classes < 2) {
    throw new Error(`${network}: outputActivation 'softmax' needs classes >= 2, got classes = ${classes}; use 'sigmoid'`);
  }
  let inputShape: number[] | undefined;
  if (options.inputShape !== undefined) {
    if (!Array.isArray(options.inputShape) || options.inputShape.length !== dims) {
      throw new Error(
        `${network}: inputShape must list ${dims} spatial sizes (${dims}D network), got [${String(options.inputShape)}]`,
      );
    }
    inputShape = options.inputShape.map((v, i) => checkPositiveInteger(network, `inputShape[${i}]`, v));
  }
  const seed = options.seed;
  if (seed !== undefined && !Number.isFinite(seed)) throw new Error(`${network}: seed must be a finite number, got ${seed}`);
  return { inputChannels, classes, normalisation, dropout, outputActivation, inputShape, seed };
}

/** Throws the size error of the first spatial size that breaks `rule`. */
export function checkSizes(rule: SizeRule, spatial: readonly number[], dims: SpatialDims): void {
  if (spatial.length !== dims) {
    throw new Error(`${rule.network}: expected ${dims} spatial sizes, got [${spatial.join(', ')}]`);
  }
  for (const s of spatial) {
    const error = sizeError(rule, s);
    if (error !== undefined) throw new Error(error);
  }
}

/**
 * Builds layers with consistent names, seeded initialisers and the network's normalisation.
 * One builder per model, so layer names inside a model are stable ("unet2d_enc0_conv1").
 */
export class LayerFactory {
  private count = 0;

  constructor(
    readonly network: string,
    readonly dims: SpatialDims,
    private readonly common: ResolvedCommon,
  ) {
    installMissingGradients();
  }

  private initializer(): ReturnType<typeof tf.initializers.heNormal> {
    const seed = this.common.seed;
    return seed === undefined ? tf.initializers.heNormal({}) : tf.initializers.heNormal({ seed: seed + this.count++ });
  }

  name(part: string): string {
    return `${this.network}_${part}`;
  }

  input(): tf.SymbolicTensor {
    const spatial = this.common.inputShape ?? new Array<null>(this.dims).fill(null);
    return tf.input({ shape: [...spatial, this.common.inputChannels], name: this.name('input') });
  }

  sizeCheck(x: tf.SymbolicTensor, rule: SizeRule): tf.SymbolicTensor {
    if (this.common.inputShape !== undefined) checkSizes(rule, this.common.inputShape, this.dims);
    return new SpatialSizeCheck({ rule, name: this.name('size_check') }).apply(x) as tf.SymbolicTensor;
  }

  conv(
    x: tf.SymbolicTensor,
    part: string,
    filters: number,
    kernelSize: number,
    opts: { dilation?: number; padding?: 'same' | 'valid'; useBias?: boolean; strides?: number; activation?: 'relu' } = {},
  ): tf.SymbolicTensor {
    const args = {
      filters,
      activation: opts.activation ?? ('linear' as const),
      kernelSize,
      padding: opts.padding ?? 'same',
      dilationRate: opts.dilation ?? 1,
      strides: opts.strides ?? 1,
      useBias: opts.useBias ?? this.common.normalisation === 'none',
      kernelInitializer: this.initializer(),
      name: this.name(part),
    };
    const layer = this.dims === 2 ? tf.layers.conv2d(args) : tf.layers.conv3d(args);
    return layer.apply(x) as tf.SymbolicTensor;
  }

  /** Convolution, normalisation, ReLU (the ReLU inside the convolution layer when there is no normalisation). */
  convNormRelu(x: tf.SymbolicTensor, part: string, filters: number, kernelSize: number, opts: { dilation?: number; padding?: 'same' | 'valid' } = {}): tf.SymbolicTensor {
    if (this.common.normalisation === 'none') return this.conv(x, part, filters, kernelSize, { ...opts, activation: 'relu' });
    return this.relu(this.norm(this.conv(x, part, filters, kernelSize, opts), `${part}_norm`), `${part}_relu`);
  }

  norm(x: tf.SymbolicTensor, part: string): tf.SymbolicTensor {
    switch (this.common.normalisation) {
      case 'none':
        return x;
      case 'instance':
        return new InstanceNormalization({ name: this.name(part) }).apply(x) as tf.SymbolicTensor;
      case 'batch':
        return (
          this.dims === 2
            ? tf.layers.batchNormalization({ name: this.name(part) })
            : new BatchNormalizationND({ name: this.name(part) })
        ).apply(x) as tf.SymbolicTensor;
    }
  }

  relu(x: tf.SymbolicTensor, part: string): tf.SymbolicTensor {
    return tf.layers.reLU({ name: this.name(part) }).apply(x) as tf.SymbolicTensor;
  }

  dropout(x: tf.SymbolicTensor, part: string): tf.SymbolicTensor {
    if (this.common.dropout === 0) return x;
    const args = { rate: this.common.dropout, name: this.name(part) };
    return tf.layers.dropout(this.common.seed === undefined ? args : { ...args, seed: this.common.seed }).apply(x) as tf.SymbolicTensor;
  }

  maxPool(x: tf.SymbolicTensor, part: string, size: number, strides = size): tf.SymbolicTensor {
    const args = { poolSize: size, strides, padding: 'valid' as const, name: this.name(part) };
    return (this.dims === 2 ? tf.layers.maxPooling2d(args) : tf.layers.maxPooling3d(args)).apply(x) as tf.SymbolicTensor;
  }

  avgPool(x: tf.SymbolicTensor, part: string, size: number): tf.SymbolicTensor {
    const args = { poolSize: size, strides: size, padding: 'valid' as const, name: this.name(part) };
    return (this.dims === 2 ? tf.layers.averagePooling2d(args) : tf.layers.averagePooling3d(args)).apply(x) as tf.SymbolicTensor;
  }

  upConv(x: tf.SymbolicTensor, part: string, filters: number): tf.SymbolicTensor {
    const args = {
      filters,
      kernelSize: 2,
      strides: 2,
      padding: 'same' as const,
      useBias: this.common.normalisation === 'none',
      kernelInitializer: this.initializer(),
      name: this.name(part),
    };
    return (this.dims === 2 ? tf.layers.conv2dTranspose(args) : tf.layers.conv3dTranspose(args)).apply(x) as tf.SymbolicTensor;
  }

  upsample(x: tf.SymbolicTensor, part: string, factor: number): tf.SymbolicTensor {
    const layer =
      this.dims === 2
        ? tf.layers.upSampling2d({ size: [factor, factor], name: this.name(part) })
        : new UpSampling3D({ size: factor, name: this.name(part) });
    return layer.apply(x) as tf.SymbolicTensor;
  }

  concat(xs: tf.SymbolicTensor[], part: string): tf.SymbolicTensor {
    return tf.layers.concatenate({ axis: -1, name: this.name(part) }).apply(xs) as tf.SymbolicTensor;
  }

  add(xs: tf.SymbolicTensor[], part: string): tf.SymbolicTensor {
    return tf.layers.add({ name: this.name(part) }).apply(xs) as tf.SymbolicTensor;
  }

  /** 1×1 classifier and the output activation. */
  head(x: tf.SymbolicTensor, kernelSize = 1): tf.SymbolicTensor {
    const args = {
      filters: this.common.classes,
      kernelSize,
      padding: 'valid' as const,
      useBias: true,
      kernelInitializer: tf.initializers.glorotUniform(this.common.seed === undefined ? {} : { seed: this.common.seed + 7919 }),
      name: this.name('classifier'),
    };
    const logits = (this.dims === 2 ? tf.layers.conv2d(args) : tf.layers.conv3d(args)).apply(x) as tf.SymbolicTensor;
    if (this.common.outputActivation === 'none') return logits;
    return tf.layers
      .activation({ activation: this.common.outputActivation, name: this.name('output') })
      .apply(logits) as tf.SymbolicTensor;
  }

  model(input: tf.SymbolicTensor, output: tf.SymbolicTensor): tf.LayersModel {
    return tf.model({ inputs: input, outputs: output, name: this.network });
  }
}

/** Tracks the receptive field (in input elements) and the jump (input elements per step) along one axis. */
export class ReceptiveField {
  size = 1;
  jump = 1;

  conv(kernel: number, dilation = 1): this {
    this.size += (kernel - 1) * dilation * this.jump;
    return this;
  }

  pool(size: number, stride = size): this {
    this.size += (size - 1) * this.jump;
    this.jump *= stride;
    return this;
  }

  up(factor: number): this {
    this.jump /= factor;
    return this;
  }
}
