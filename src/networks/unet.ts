import type * as tf from '@tensorflow/tfjs';
import { integer, knownKeys, oneOf } from '../common/options.js';
import { LayerFactory } from './layerFactory.js';
import { checkSizes, type NetworkGeometry } from './networkGeometry.js';
import { COMMON_OPTION_NAMES, type CommonNetworkOptions, type Normalization, resolveCommon, type SpatialDims } from './networkOptions.js';
import { divisorsOf, perAxis, receptiveFieldsOf, resolveTopology, sizeRulesOf, type UNetTopology } from './unetTopology.js';

/** How a U-Net's up path undoes a pooling: a transposed convolution, or nearest-neighbour up-sampling then a convolution (kernel and factor the level's strides, 2×2 by default). */
export const UNET_UPSAMPLINGS = ['transpose', 'nearest'] as const;
export type UNetUpsampling = (typeof UNET_UPSAMPLINGS)[number];

/** The shared U-Net builder behind `unet2d` (Ronneberger 2015) and `unet3d` (Çiçek 2016). */
export interface UNetOptions extends CommonNetworkOptions {
  /** Number of down-samplings (max-pool) and up-samplings. Default 4 (2D), 3 (3D); follows from `strides` when given. */
  depth?: number;
  /** Filters of the first level; level l has min(baseFilters·2^l, maxFilters). */
  baseFilters?: number;
  /** Cap on the filters of a level (nnU-Net's 320 in 3D; the plan's `network.maxFilters`). Default: no cap. */
  maxFilters?: number;
  /** Up path: 'transpose' (transposed convolution, kernel and stride the level's strides) or 'nearest' (nearest-neighbour up-sampling by the strides, then a convolution with a kernel of the strides). Default 'transpose'. */
  upsampling?: UNetUpsampling;
  /**
   * Pooling strides per level and spatial axis (1 or 2), as a plan records them: `[[2, 2, 1], [2, 2, 1], [2, 2, 2]]`
   * pools the third axis only at the last level. One entry per down-sampling, so depth = strides.length.
   * Each input extent must be a multiple of the product of the strides along its axis. Default: 2 on every axis.
   */
  strides?: readonly (readonly number[])[];
  /**
   * Convolution kernel per resolution level and spatial axis (odd), as a plan records them: depth + 1 entries,
   * the bottleneck last; the decoder's level l uses entry l. Default: 3 on every axis.
   */
  convKernels?: readonly (readonly number[])[];
}

export const UNET_KEYS = [...COMMON_OPTION_NAMES, 'depth', 'baseFilters', 'upsampling', 'strides', 'convKernels', 'maxFilters'] as const;

interface UNetDefaults {
  depth: number;
  baseFilters: number;
  normalization: Normalization;
}

interface ResolvedUNet extends UNetTopology {
  baseFilters: number;
  upsampling: UNetUpsampling;
  /** Filters of level l (the bottleneck is level depth). */
  filters(level: number): number;
}

function resolveUNet(network: string, dims: SpatialDims, options: UNetOptions, defaults: UNetDefaults): ResolvedUNet {
  knownKeys(network, options, UNET_KEYS);
  const topology = resolveTopology(network, dims, options, defaults.depth);
  const baseFilters = integer(network, 'baseFilters', options.baseFilters ?? defaults.baseFilters, { min: 1 });
  const upsampling = oneOf(network, 'upsampling', options.upsampling ?? 'transpose', UNET_UPSAMPLINGS);
  const maxFilters = options.maxFilters === undefined ? Infinity : integer(network, 'maxFilters', options.maxFilters, { min: 1 });
  return { ...topology, baseFilters, upsampling, filters: (level) => Math.min(maxFilters, baseFilters * 2 ** level) };
}

export function buildUNet(network: string, dims: SpatialDims, options: UNetOptions, defaults: UNetDefaults): tf.LayersModel {
  const u = resolveUNet(network, dims, options, defaults);
  const common = resolveCommon(network, dims, options, defaults.normalization);
  const f = new LayerFactory(network, dims, common);
  const input = f.input();
  let x = f.sizeCheck(input, sizeRulesOf(network, u));
  const skips: tf.SymbolicTensor[] = [];
  const block = (t: tf.SymbolicTensor, part: string, filters: number, level: number): tf.SymbolicTensor => {
    const kernel = perAxis(u.convKernels[level]!);
    return f.convNormRelu(f.convNormRelu(t, `${part}_conv1`, filters, kernel), `${part}_conv2`, filters, kernel);
  };
  for (let level = 0; level < u.depth; level++) {
    x = block(x, `enc${level}`, u.filters(level), level);
    skips.push(x);
    x = f.maxPool(x, `enc${level}_pool`, perAxis(u.strides[level]!));
  }
  x = f.dropout(block(x, 'bottleneck', u.filters(u.depth), u.depth), 'bottleneck_dropout');
  for (let level = u.depth - 1; level >= 0; level--) {
    const filters = u.filters(level);
    const factor = perAxis(u.strides[level]!);
    x =
      u.upsampling === 'transpose'
        ? f.upConv(x, `dec${level}_up`, filters, factor)
        : f.conv(f.upsample(x, `dec${level}_upsample`, factor), `dec${level}_up`, filters, factor);
    x = f.concat([skips[level]!, x], `dec${level}_concat`);
    x = block(x, `dec${level}`, filters, level);
  }
  return f.model(input, f.head(x));
}

export function uNetGeometry(network: string, dims: SpatialDims, options: UNetOptions, defaults: UNetDefaults): NetworkGeometry {
  const u = resolveUNet(network, dims, options, defaults);
  const perAxisField = receptiveFieldsOf(u, u.upsampling === 'nearest');
  const rule = sizeRulesOf(network, u);
  const divisors = divisorsOf(u);
  const isotropicRule = !Array.isArray(rule);
  return {
    dims,
    receptiveField: Math.max(...perAxisField),
    receptiveFieldPerAxis: perAxisField,
    sizeRule: isotropicRule
      ? `each spatial size a multiple of 2^${u.depth} = ${2 ** u.depth}; output the same size as the input`
      : `spatial sizes multiples of [${divisors.join(', ')}] (the product of the strides along each axis); output the same size as the input`,
    outputShapeFor(inputShape: readonly number[]): number[] {
      checkSizes(rule, inputShape, dims);
      return [...inputShape];
    },
  };
}
