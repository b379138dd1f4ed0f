import type * as tf from '@tensorflow/tfjs';
import { numberList, knownKeys, integer } from '../common/options.js';
import { LayerFactory } from './layerFactory.js';
import { checkSizes, type NetworkGeometry } from './networkGeometry.js';
import { COMMON_OPTION_NAMES, type CommonNetworkOptions, resolveCommon } from './networkOptions.js';
import { ReceptiveField } from './receptiveField.js';
import { ChannelPadding } from './layers/channelPadding.js';
import type { SizeRule } from './layers/spatialSizeCheck.js';

export interface HighResNetOptions extends CommonNetworkOptions {
  /** Filters of the first convolution and of each stage of residual blocks. Default [16, 16, 32, 64]. */
  filters?: number[];
  /** Dilation of each stage (one per filters entry after the first). Default [1, 2, 4]. */
  dilations?: number[];
  /** Residual blocks per stage (two 3³ convolutions each). Default 3. */
  blocksPerStage?: number;
  /** Width of the 1×1×1 layer before the classifier. Default 80. */
  featureWidth?: number;
}

const KEYS = [...COMMON_OPTION_NAMES, 'filters', 'dilations', 'blocksPerStage', 'featureWidth'] as const;

interface Resolved {
  filters: number[];
  dilations: number[];
  blocksPerStage: number;
  featureWidth: number;
  receptiveField: number;
}

function resolve(options: HighResNetOptions): Resolved {
  knownKeys('highResNet', options, KEYS);
  const filters = numberList('highResNet', 'filters', options.filters ?? [16, 16, 32, 64], { minLength: 2, integer: true, min: 1 });
  const dilations = numberList('highResNet', 'dilations', options.dilations ?? [1, 2, 4], { integer: true, min: 1 });
  if (dilations.length !== filters.length - 1) {
    throw new Error(
      `highResNet: dilations needs one entry per stage (filters.length - 1 = ${filters.length - 1}), got ${dilations.length}`,
    );
  }
  for (let i = 1; i < filters.length; i++) {
    if (filters[i]! < filters[i - 1]!) {
      throw new Error(`highResNet: filters must not decrease (residual shortcuts zero-pad channels), got [${filters}]`);
    }
  }
  const blocksPerStage = integer('highResNet', 'blocksPerStage', options.blocksPerStage ?? 3, { min: 1 });
  const featureWidth = integer('highResNet', 'featureWidth', options.featureWidth ?? 80, { min: 1 });
  const rf = new ReceptiveField().conv(3);
  for (const d of dilations) for (let b = 0; b < 2 * blocksPerStage; b++) rf.conv(3, d);
  return { filters, dilations, blocksPerStage, featureWidth, receptiveField: rf.size };
}

const RULE: SizeRule = { network: 'highResNet', minimum: 1, multipleOf: 1, offset: 0, reason: '1' };

/**
 * HighResNet (Li, Wang, Zuluaga, Cardoso, Vercauteren, "On the compactness, efficiency, and
 * representation of 3D convolutional networks: brain parcellation as a pretext task", IPMI 2017),
 * one of the paper's two 3D networks: full resolution throughout, dilated residual blocks.
 *
 * ```
 * input ─ conv3³ 16 ─ norm ─ ReLU ─ 3×res(16, d1) ─ 3×res(32, d2) ─ 3×res(64, d4) ─ conv1³ 80 ─ norm ─ ReLU ─ conv1³ ─ output
 * res(c, d): x ─ norm ─ ReLU ─ conv3³(c, dilation d) ─ norm ─ ReLU ─ conv3³(c, dilation d) ─ (+) ─
 *            └──────────────── zero-pad channels to c ──────────────────────────────────────┘
 * ```
 * The 20-layer reference configuration (1 + 18 + 1 convolutions, plus the classifier), 'same'
 * padding, batch normalisation by default. Dilated convolutions train through gendice's dilated
 * Conv3D gradient. Any input size is accepted; the output has the input's size.
 * Receptive field (default): 87 voxels. Parameters (default, 1 input channel, 2 classes): 810,386
 * (Li et al. report about 0.81 M). Dropout (if any) before the classifier.
 */
export function highResNet(options: HighResNetOptions = {}): tf.LayersModel {
  const r = resolve(options);
  const common = resolveCommon('highResNet', 3, options, 'batch');
  const f = new LayerFactory('highResNet', 3, common);
  const input = f.input();
  let x = f.sizeCheck(input, RULE);
  x = f.convNormRelu(x, 'conv0', r.filters[0]!, 3);
  let channels = r.filters[0]!;
  r.dilations.forEach((dilation, stage) => {
    const width = r.filters[stage + 1]!;
    for (let b = 0; b < r.blocksPerStage; b++) {
      const part = `stage${stage + 1}_block${b + 1}`;
      let y = f.relu(f.norm(x, `${part}_norm1`), `${part}_relu1`);
      y = f.conv(y, `${part}_conv1`, width, 3, { dilation });
      y = f.relu(f.norm(y, `${part}_norm2`), `${part}_relu2`);
      y = f.conv(y, `${part}_conv2`, width, 3, { dilation });
      const shortcut =
        channels === width
          ? x
          : (new ChannelPadding({ channels: width, name: f.name(`${part}_pad`) }).apply(x) as tf.SymbolicTensor);
      x = f.add([shortcut, y], `${part}_add`);
      channels = width;
    }
  });
  x = f.convNormRelu(x, 'features', r.featureWidth, 1);
  return f.model(input, f.head(f.dropout(x, 'dropout')));
}

/** Receptive field, size rule and output shape of `highResNet` with these options. */
export function highResNetGeometry(options: HighResNetOptions = {}): NetworkGeometry {
  const r = resolve(options);
  return {
    dims: 3,
    receptiveField: r.receptiveField,
    sizeRule: 'any spatial size; output the same size as the input',
    outputShapeFor(inputShape: readonly number[]): number[] {
      checkSizes(RULE, inputShape, 3);
      return [...inputShape];
    },
  };
}
