import type * as tf from '@tensorflow/tfjs';
import { numberList, knownKeys, integer } from '../common/options.js';
import { LayerFactory } from './layerFactory.js';
import { checkSizes, type NetworkGeometry } from './networkGeometry.js';
import { COMMON_OPTION_NAMES, type CommonNetworkOptions, resolveCommon } from './networkOptions.js';
import { ReceptiveField } from './receptiveField.js';
import { Maxout } from './layers/maxout.js';
import type { SizeRule } from './layers/spatialSizeCheck.js';

export interface TwoPathCnnOptions extends CommonNetworkOptions {
  /** Kernel sizes of the local path's two convolutions. Default [7, 3] (Havaei et al.). */
  localKernels?: [number, number];
  /** Max-pooling sizes (stride 1) after each local convolution. Default [4, 2]. */
  localPools?: [number, number];
  /** Feature maps of the local path's convolutions (after max-out). Default 64. */
  localFilters?: number;
  /** Feature maps of the global path's convolution (after max-out). Default 160. */
  globalFilters?: number;
  /** Max-out pieces (linear maps per output feature map); 1 turns max-out off. Default 2. */
  maxoutPieces?: number;
  /** Kernel of the classifier. Default 1 (dense output); Havaei et al.'s 21 yields one output per 33² patch. */
  classifierKernel?: number;
}

const KEYS = [
  ...COMMON_OPTION_NAMES,
  'localKernels',
  'localPools',
  'localFilters',
  'globalFilters',
  'maxoutPieces',
  'classifierKernel',
] as const;

interface Resolved {
  localKernels: [number, number];
  localPools: [number, number];
  localFilters: number;
  globalFilters: number;
  maxoutPieces: number;
  classifierKernel: number;
  /** Global-path kernel: makes both paths shrink the input equally so they can be concatenated. */
  globalKernel: number;
  receptiveField: number;
}

function resolve(options: TwoPathCnnOptions): Resolved {
  knownKeys('twoPathCnn', options, KEYS);
  const localKernels = numberList('twoPathCnn', 'localKernels', options.localKernels ?? [7, 3], { length: 2, integer: true, min: 1 }) as [number, number];
  const localPools = numberList('twoPathCnn', 'localPools', options.localPools ?? [4, 2], { length: 2, integer: true, min: 1 }) as [number, number];
  const localFilters = integer('twoPathCnn', 'localFilters', options.localFilters ?? 64, { min: 1 });
  const globalFilters = integer('twoPathCnn', 'globalFilters', options.globalFilters ?? 160, { min: 1 });
  const maxoutPieces = integer('twoPathCnn', 'maxoutPieces', options.maxoutPieces ?? 2, { min: 1 });
  const classifierKernel = integer('twoPathCnn', 'classifierKernel', options.classifierKernel ?? 1, { min: 1 });
  const shrink = localKernels[0] - 1 + (localPools[0] - 1) + (localKernels[1] - 1) + (localPools[1] - 1);
  const rf = new ReceptiveField().conv(shrink + 1).conv(classifierKernel);
  return { localKernels, localPools, localFilters, globalFilters, maxoutPieces, classifierKernel, globalKernel: shrink + 1, receptiveField: rf.size };
}

function sizeRule(r: Resolved): SizeRule {
  return { network: 'twoPathCnn', minimum: r.receptiveField, multipleOf: 1, offset: 0, reason: '1' };
}

/**
 * TwoPathCNN (Havaei et al., "Brain tumor segmentation with deep neural networks", Medical Image
 * Analysis 2017), one of the paper's two 2D networks. Fully convolutional, 'valid' convolutions.
 *
 * ```
 *         ┌ local:  conv 7² ×2·64 ─ maxout ─ maxpool 4² (s1) ─ conv 3² ×2·64 ─ maxout ─ maxpool 2² (s1) ┐
 * input ──┤                                                                                          concat ─ conv 1² ─ output
 *         └ global: conv 13² ×2·160 ─ maxout ──────────────────────────────────────────────────────┘
 * ```
 * The global kernel is derived so that both paths shrink the input by the same amount
 * (k1 − 1 + p1 − 1 + k2 − 1 + p2 − 1 + 1 = 13 by default). Note: gendice's paper summary lists the
 * local convolutions as 7² and 5²; with 4²/2² pooling and a 13² global path only Havaei et al.'s 7²
 * and 3² make the two paths meet, so [7, 3] is the default and `localKernels` changes it (the
 * global kernel follows).
 * Output: input − (receptive field − 1) per axis, so a training patch of the receptive-field size
 * yields the centre prediction and a larger input a dense map.
 * Input sizes: any size ≥ the receptive field (13 by default; 33 with `classifierKernel: 21`).
 * No normalisation by default (as the original); dropout (if any) before the classifier.
 * Receptive field (default): 13 pixels. Parameters (default, 1 input channel, 2 classes): 135,106.
 */
export function twoPathCnn(options: TwoPathCnnOptions = {}): tf.LayersModel {
  const r = resolve(options);
  const common = resolveCommon('twoPathCnn', 2, options, 'none');
  const f = new LayerFactory('twoPathCnn', 2, common);
  const input = f.input();
  const x = f.sizeCheck(input, sizeRule(r));
  const maxout = (t: tf.SymbolicTensor, part: string): tf.SymbolicTensor =>
    r.maxoutPieces === 1 ? t : (new Maxout({ pieces: r.maxoutPieces, name: f.name(part) }).apply(t) as tf.SymbolicTensor);
  const convMaxout = (t: tf.SymbolicTensor, part: string, filters: number, kernel: number): tf.SymbolicTensor =>
    f.norm(maxout(f.conv(t, part, filters * r.maxoutPieces, kernel, { padding: 'valid' }), `${part}_maxout`), `${part}_norm`);
  let local = convMaxout(x, 'local_conv1', r.localFilters, r.localKernels[0]);
  local = f.maxPool(local, 'local_pool1', r.localPools[0], 1);
  local = convMaxout(local, 'local_conv2', r.localFilters, r.localKernels[1]);
  local = f.maxPool(local, 'local_pool2', r.localPools[1], 1);
  const global = convMaxout(x, 'global_conv', r.globalFilters, r.globalKernel);
  const merged = f.dropout(f.concat([local, global], 'concat'), 'dropout');
  return f.model(input, f.head(merged, r.classifierKernel));
}

/** Receptive field, size rule and output shape of `twoPathCnn` with these options. */
export function twoPathCnnGeometry(options: TwoPathCnnOptions = {}): NetworkGeometry {
  const r = resolve(options);
  const rule = sizeRule(r);
  return {
    dims: 2,
    receptiveField: r.receptiveField,
    sizeRule: `each spatial size at least ${r.receptiveField}; output = input − ${r.receptiveField - 1}`,
    outputShapeFor(inputShape: readonly number[]): number[] {
      checkSizes(rule, inputShape, 2);
      return inputShape.map((s) => s - (r.receptiveField - 1));
    },
  };
}
