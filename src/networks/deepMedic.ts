import type * as tf from '@tensorflow/tfjs';
import { numberList, knownKeys, integer } from '../common/options.js';
import { LayerFactory } from './layerFactory.js';
import { checkSizes, type NetworkGeometry } from './networkGeometry.js';
import { COMMON_OPTION_NAMES, type CommonNetworkOptions, resolveCommon } from './networkOptions.js';
import { CroppingND } from './layers/croppingND.js';
import type { SizeRule } from './layers/spatialSizeCheck.js';

export interface DeepMedicOptions extends CommonNetworkOptions {
  /** Filters of the 3×3×3 'valid' convolutions of each pathway. Default [30, 30, 40, 40, 40, 40, 50, 50]. */
  pathwayFilters?: number[];
  /** Down-sampling factor of the subsampled pathway (average pooling in, nearest-neighbour up). Default 3. */
  subsampleFactor?: number;
  /** Widths of the 1×1×1 "fully connected" layers after the concatenation. Default [150, 150]. */
  fullyConnected?: number[];
}

const KEYS = [...COMMON_OPTION_NAMES, 'pathwayFilters', 'subsampleFactor', 'fullyConnected'] as const;

interface Resolved {
  pathwayFilters: number[];
  subsampleFactor: number;
  fullyConnected: number[];
  /** Input elements lost per axis by L 'valid' 3³ convolutions at full resolution (2L). */
  normalShrink: number;
  /** Total shrink of the network: 2L·factor. */
  shrink: number;
  receptiveField: number;
  minimum: number;
}

function resolve(options: DeepMedicOptions): Resolved {
  knownKeys('deepMedic', options, KEYS);
  const pathwayFilters = numberList('deepMedic', 'pathwayFilters', options.pathwayFilters ?? [30, 30, 40, 40, 40, 40, 50, 50], { integer: true, min: 1 });
  const subsampleFactor = integer('deepMedic', 'subsampleFactor', options.subsampleFactor ?? 3, { min: 2 });
  const fullyConnected = numberList('deepMedic', 'fullyConnected', options.fullyConnected ?? [150, 150], { minLength: 0, integer: true, min: 1 });
  const normalShrink = 2 * pathwayFilters.length;
  const shrink = normalShrink * subsampleFactor;
  return {
    pathwayFilters,
    subsampleFactor,
    fullyConnected,
    normalShrink,
    shrink,
    receptiveField: (normalShrink + 1) * subsampleFactor,
    minimum: shrink + subsampleFactor,
  };
}

function sizeRule(r: Resolved): SizeRule {
  return {
    network: 'deepMedic',
    minimum: r.minimum,
    multipleOf: r.subsampleFactor,
    offset: 0,
    reason: `the subsample factor ${r.subsampleFactor}`,
  };
}

/**
 * DeepMedic (Kamnitsas et al., "Efficient multi-scale 3D CNN with fully connected CRF for accurate
 * brain lesion segmentation", Medical Image Analysis 2017), one of the paper's two 3D networks.
 * One input patch (full resolution, the subsampled pathway's context) feeds two pathways:
 *
 * ```
 *          ┌ centre crop ─ [conv3³ 'valid' ─ norm ─ ReLU]×L ───────────────────────┐
 * input ───┤                                                                      concat ─ [conv1³ ─ norm ─ ReLU]×FC ─ conv1³ ─ output
 *          └ avgpool f³ ─ [conv3³ 'valid' ─ norm ─ ReLU]×L ─ nearest-neighbour ×f ┘
 * ```
 * With L = 8 layers and f = 3 (default), an input of S³ gives an output of (S − 48)³; the normal
 * pathway sees the central (S − 32)³ at full resolution (receptive field 17), the subsampled pathway
 * all of S³ at 1/3 resolution (receptive field 51 = the network's). The original fed the subsampled
 * pathway a separately down-sampled image segment; pooling the one input gives the same geometry.
 * Simplifications: ReLU instead of PReLU, no residual connections (the 2017 version's), average
 * pooling as the down-sampling.
 * Input sizes: each spatial size a multiple of f and at least 2L·f + f (51 by default).
 * Defaults: batch normalisation (as the original), dropout (if any) before each FC layer.
 * Receptive field (default): 51 voxels. Parameters (default, 1 input channel, 2 classes): 658,782.
 */
export function deepMedic(options: DeepMedicOptions = {}): tf.LayersModel {
  const r = resolve(options);
  const common = resolveCommon('deepMedic', 3, options, 'batch');
  const f = new LayerFactory('deepMedic', 3, common);
  const input = f.input();
  const x = f.sizeCheck(input, sizeRule(r));
  const crop = (r.shrink - r.normalShrink) / 2;
  let normal = new CroppingND({
    cropping: [
      [crop, crop],
      [crop, crop],
      [crop, crop],
    ],
    name: f.name('normal_crop'),
  }).apply(x) as tf.SymbolicTensor;
  let sub = f.avgPool(x, 'sub_pool', r.subsampleFactor);
  r.pathwayFilters.forEach((filters, i) => {
    normal = f.convNormRelu(normal, `normal_conv${i + 1}`, filters, 3, { padding: 'valid' });
    sub = f.convNormRelu(sub, `sub_conv${i + 1}`, filters, 3, { padding: 'valid' });
  });
  sub = f.upsample(sub, 'sub_upsample', r.subsampleFactor);
  let merged = f.concat([normal, sub], 'concat');
  r.fullyConnected.forEach((width, i) => {
    merged = f.convNormRelu(f.dropout(merged, `fc${i + 1}_dropout`), `fc${i + 1}`, width, 1);
  });
  return f.model(input, f.head(merged));
}

/** Receptive field, size rule and output shape of `deepMedic` with these options. */
export function deepMedicGeometry(options: DeepMedicOptions = {}): NetworkGeometry {
  const r = resolve(options);
  const rule = sizeRule(r);
  return {
    dims: 3,
    receptiveField: r.receptiveField,
    sizeRule: `each spatial size a multiple of ${r.subsampleFactor} and at least ${r.minimum}; output = input − ${r.shrink}`,
    outputShapeFor(inputShape: readonly number[]): number[] {
      checkSizes(rule, inputShape, 3);
      return inputShape.map((s) => s - r.shrink);
    },
  };
}
