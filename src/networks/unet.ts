import type * as tf from '@tensorflow/tfjs';
import { integer, knownKeys, oneOf } from '../common/options.js';
import { LayerFactory } from './layerFactory.js';
import { checkSizes, type NetworkGeometry } from './networkGeometry.js';
import { COMMON_OPTION_NAMES, type CommonNetworkOptions, type Normalization, resolveCommon, type SpatialDims } from './networkOptions.js';
import { ReceptiveField } from './receptiveField.js';
import type { SizeRule } from './layers/spatialSizeCheck.js';

/** How a U-Net's up path doubles the size: a 2×2 transposed convolution, or nearest-neighbour ×2 then a 2×2 convolution. */
export const UNET_UPSAMPLINGS = ['transpose', 'nearest'] as const;
export type UNetUpsampling = (typeof UNET_UPSAMPLINGS)[number];

/** The shared U-Net builder behind `unet2d` (Ronneberger 2015) and `unet3d` (Çiçek 2016). */
export interface UNetOptions extends CommonNetworkOptions {
  /** Number of 2× down-samplings (max-pool) and up-samplings. Input sizes must be divisible by 2^depth. */
  depth?: number;
  /** Filters of the first level; level l has baseFilters·2^l. */
  baseFilters?: number;
  /** Up path: 'transpose' (2×2 transposed convolution, stride 2) or 'nearest' (nearest-neighbour ×2, then a 2×2 convolution). Default 'transpose'. */
  upsampling?: UNetUpsampling;
}

export const UNET_KEYS = [...COMMON_OPTION_NAMES, 'depth', 'baseFilters', 'upsampling'] as const;

interface UNetDefaults {
  depth: number;
  baseFilters: number;
  normalization: Normalization;
}

interface ResolvedUNet {
  depth: number;
  baseFilters: number;
  upsampling: UNetUpsampling;
}

function resolveUNet(network: string, options: UNetOptions, defaults: UNetDefaults): ResolvedUNet {
  knownKeys(network, options, UNET_KEYS);
  const depth = integer(network, 'depth', options.depth ?? defaults.depth, { min: 1 });
  const baseFilters = integer(network, 'baseFilters', options.baseFilters ?? defaults.baseFilters, { min: 1 });
  const upsampling = oneOf(network, 'upsampling', options.upsampling ?? 'transpose', UNET_UPSAMPLINGS);
  return { depth, baseFilters, upsampling };
}

function sizeRule(network: string, depth: number): SizeRule {
  const m = 2 ** depth;
  return { network, minimum: m, multipleOf: m, offset: 0, reason: `2^${depth} = ${m}` };
}

export function buildUNet(network: string, dims: SpatialDims, options: UNetOptions, defaults: UNetDefaults): tf.LayersModel {
  const u = resolveUNet(network, options, defaults);
  const common = resolveCommon(network, dims, options, defaults.normalization);
  const f = new LayerFactory(network, dims, common);
  const input = f.input();
  let x = f.sizeCheck(input, sizeRule(network, u.depth));
  const skips: tf.SymbolicTensor[] = [];
  const block = (t: tf.SymbolicTensor, part: string, filters: number): tf.SymbolicTensor =>
    f.convNormRelu(f.convNormRelu(t, `${part}_conv1`, filters, 3), `${part}_conv2`, filters, 3);
  for (let level = 0; level < u.depth; level++) {
    x = block(x, `enc${level}`, u.baseFilters * 2 ** level);
    skips.push(x);
    x = f.maxPool(x, `enc${level}_pool`, 2);
  }
  x = f.dropout(block(x, 'bottleneck', u.baseFilters * 2 ** u.depth), 'bottleneck_dropout');
  for (let level = u.depth - 1; level >= 0; level--) {
    const filters = u.baseFilters * 2 ** level;
    x =
      u.upsampling === 'transpose'
        ? f.upConv(x, `dec${level}_up`, filters)
        : f.conv(f.upsample(x, `dec${level}_upsample`, 2), `dec${level}_up`, filters, 2);
    x = f.concat([skips[level]!, x], `dec${level}_concat`);
    x = block(x, `dec${level}`, filters);
  }
  return f.model(input, f.head(x));
}

export function uNetGeometry(network: string, dims: SpatialDims, options: UNetOptions, defaults: UNetDefaults): NetworkGeometry {
  const u = resolveUNet(network, options, defaults);
  const rf = new ReceptiveField();
  for (let level = 0; level < u.depth; level++) rf.conv(3).conv(3).pool(2);
  rf.conv(3).conv(3);
  for (let level = u.depth - 1; level >= 0; level--) {
    rf.up(2);
    if (u.upsampling === 'nearest') rf.conv(2);
    rf.conv(3).conv(3);
  }
  const rule = sizeRule(network, u.depth);
  return {
    dims,
    receptiveField: rf.size,
    sizeRule: `each spatial size a multiple of 2^${u.depth} = ${2 ** u.depth}; output the same size as the input`,
    outputShapeFor(inputShape: readonly number[]): number[] {
      checkSizes(rule, inputShape, dims);
      return [...inputShape];
    },
  };
}
