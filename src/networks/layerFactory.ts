import * as tf from '@tensorflow/tfjs';
import { installMissingGradients } from '../engine/gradients/index.js';
import { BatchNormalizationND } from './layers/batchNormalizationND.js';
import { InstanceNormalization } from './layers/instanceNormalization.js';
import { SpatialSizeCheck, type SizeRule } from './layers/spatialSizeCheck.js';
import { UpSampling3D } from './layers/upSampling3d.js';
import { checkSizes } from './networkGeometry.js';
import type { ResolvedCommon, SpatialDims } from './networkOptions.js';

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

  sizeCheck(x: tf.SymbolicTensor, rule: SizeRule | SizeRule[]): tf.SymbolicTensor {
    if (this.common.inputShape !== undefined) checkSizes(rule, this.common.inputShape, this.dims);
    return new SpatialSizeCheck({ rule, name: this.name('size_check') }).apply(x) as tf.SymbolicTensor;
  }

  conv(
    x: tf.SymbolicTensor,
    part: string,
    filters: number,
    kernelSize: number | number[],
    opts: { dilation?: number; padding?: 'same' | 'valid'; useBias?: boolean; strides?: number; activation?: 'relu' } = {},
  ): tf.SymbolicTensor {
    const args = {
      filters,
      activation: opts.activation ?? ('linear' as const),
      kernelSize,
      padding: opts.padding ?? 'same',
      dilationRate: opts.dilation ?? 1,
      strides: opts.strides ?? 1,
      useBias: opts.useBias ?? this.common.normalization === 'none',
      kernelInitializer: this.initializer(),
      name: this.name(part),
    };
    const layer = this.dims === 2 ? tf.layers.conv2d(args) : tf.layers.conv3d(args);
    return layer.apply(x) as tf.SymbolicTensor;
  }

  /** Convolution, normalisation, ReLU (the ReLU inside the convolution layer when there is no normalisation). */
  convNormRelu(x: tf.SymbolicTensor, part: string, filters: number, kernelSize: number | number[], opts: { dilation?: number; padding?: 'same' | 'valid' } = {}): tf.SymbolicTensor {
    if (this.common.normalization === 'none') return this.conv(x, part, filters, kernelSize, { ...opts, activation: 'relu' });
    return this.relu(this.norm(this.conv(x, part, filters, kernelSize, opts), `${part}_norm`), `${part}_relu`);
  }

  norm(x: tf.SymbolicTensor, part: string): tf.SymbolicTensor {
    switch (this.common.normalization) {
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

  /** Max pooling; `size` and `strides` one number for every axis or one per axis. */
  maxPool(x: tf.SymbolicTensor, part: string, size: number | number[], strides: number | number[] = size): tf.SymbolicTensor {
    const args = { poolSize: size, strides, padding: 'valid' as const, name: this.name(part) };
    return (
      this.dims === 2
        ? tf.layers.maxPooling2d(args as Parameters<typeof tf.layers.maxPooling2d>[0])
        : tf.layers.maxPooling3d(args as Parameters<typeof tf.layers.maxPooling3d>[0])
    ).apply(x) as tf.SymbolicTensor;
  }

  avgPool(x: tf.SymbolicTensor, part: string, size: number): tf.SymbolicTensor {
    const args = { poolSize: size, strides: size, padding: 'valid' as const, name: this.name(part) };
    return (this.dims === 2 ? tf.layers.averagePooling2d(args) : tf.layers.averagePooling3d(args)).apply(x) as tf.SymbolicTensor;
  }

  /** Transposed convolution up by `factor` (one number or one per axis), with a kernel of the factor. */
  upConv(x: tf.SymbolicTensor, part: string, filters: number, factor: number | number[] = 2): tf.SymbolicTensor {
    const args = {
      filters,
      kernelSize: factor,
      strides: factor,
      padding: 'same' as const,
      useBias: this.common.normalization === 'none',
      kernelInitializer: this.initializer(),
      name: this.name(part),
    };
    return (this.dims === 2 ? tf.layers.conv2dTranspose(args) : tf.layers.conv3dTranspose(args)).apply(x) as tf.SymbolicTensor;
  }

  /** Nearest-neighbour up-sampling by `factor` (one number or one per axis). */
  upsample(x: tf.SymbolicTensor, part: string, factor: number | number[]): tf.SymbolicTensor {
    const layer =
      this.dims === 2
        ? tf.layers.upSampling2d({ size: typeof factor === 'number' ? [factor, factor] : [factor[0]!, factor[1]!], name: this.name(part) })
        : new UpSampling3D({ size: typeof factor === 'number' ? factor : [factor[0]!, factor[1]!, factor[2]!], name: this.name(part) });
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

