import type { DatasetFingerprint } from './fingerprint.js';
import { ANISOTROPY_THRESHOLD, targetShapeFor } from './geometry.js';
import { INTENSITY_SCHEMES, schemeForModality, type ChannelNormalization, type IntensityScheme } from './intensity.js';
import { percentile } from '../common/stats.js';

/** The pooling topology of a U-Net for a patch on a grid of some spacing (nnU-Net's rule). */
export interface PoolingTopology {
  /** Poolings along each axis. */
  poolingsPerAxis: number[];
  /** One entry per down-sampling: the pooling stride per axis (2 or 1). */
  strides: number[][];
  /** Convolution kernel per axis for each resolution level (depth + 1 entries, bottleneck last): 3, or 1 along a still-coarse axis. */
  convKernels: number[][];
  /** 2^poolings per axis: every patch extent must be a multiple of it. */
  divisibleBy: number[];
  /** The patch rounded up to `divisibleBy`. */
  patchSize: number[];
}

export interface PlanOptions {
  /** Memory the training step may use, MiB. Default 1024. */
  memoryBudgetMiB?: number;
  /** Filters of the first level (gendice's U-Net default 16); doubled per level up to `maxFilters`. */
  baseFilters?: number;
  /** Default 320 (nnU-Net's 3D cap). */
  maxFilters?: number;
  /** Smallest edge of the deepest feature map. Default 4 (nnU-Net). */
  minFeatureMapEdge?: number;
  /** Most poolings along one axis. Default 5. */
  maxPoolings?: number;
  /** Smallest batch. Default 2 (nnU-Net). */
  minBatchSize?: number;
  /** A batch covers at most this share of the dataset's voxels (at target spacing). Default 0.05 (nnU-Net). */
  maxDatasetShare?: number;
  /** Overrides: any of these replaces the derived value. */
  targetSpacing?: number[];
  patchSize?: number[];
  batchSize?: number;
  /** Per channel; undefined entries keep the derived scheme. */
  normalization?: Array<IntensityScheme | undefined>;
}

/** The training plan derived from a fingerprint (`plan.json`). */
export interface Plan {
  version: 1;
  dataset: string;
  dims: number;
  targetSpacing: number[];
  /** Median case shape after resampling to `targetSpacing`. */
  medianShape: number[];
  patchSize: number[];
  batchSize: number;
  network: {
    name: 'unet2d' | 'unet3d';
    depth: number;
    baseFilters: number;
    maxFilters: number;
    poolingsPerAxis: number[];
    strides: number[][];
    convKernels: number[][];
    divisibleBy: number[];
  };
  memory: { budgetBytes: number; estimatedBytes: number; model: string };
  resampling: { image: 'cubic'; label: 'linear-onehot'; separateAxis: 'nearest'; anisotropyThreshold: number };
  useNonzeroMask: boolean;
  normalization: Array<{ modality: string } & ChannelNormalization>;
  inputChannels: number;
  classes: number;
  labels: Array<{ value: number; name: string }>;
}

/**
 * nnU-Net's target spacing: the median spacing per axis; but when the coarsest axis is more than 3×
 * the others' spacing *and* has fewer than a third of their voxels (thick slices), that axis gets the
 * 10th percentile of its spacings instead, never finer than the other axes (then their largest + 1e-5).
 */
export function targetSpacingFor(fingerprint: Pick<DatasetFingerprint, 'cases' | 'medianSpacing' | 'medianShape'>, threshold = ANISOTROPY_THRESHOLD): number[] {
  const target = [...fingerprint.medianSpacing];
  const size = fingerprint.medianShape;
  const worst = target.indexOf(Math.max(...target));
  const others = target.map((_, a) => a).filter((a) => a !== worst);
  if (others.length === 0) return target;
  const otherSpacing = Math.max(...others.map((a) => target[a]!));
  const otherSize = Math.min(...others.map((a) => size[a]!));
  if (target[worst]! > threshold * otherSpacing && size[worst]! * threshold < otherSize) {
    const low = percentile(fingerprint.cases.map((c) => c.spacing[worst]!), 10);
    target[worst] = low < otherSpacing ? Math.max(otherSpacing, low) + 1e-5 : low;
  }
  return target;
}

/**
 * nnU-Net's pooling rule for a patch on a grid of `spacing`: at each level, pool (stride 2) along the
 * axes whose current spacing is within 2× of the finest current spacing and whose current extent is
 * at least 2·`minFeatureMapEdge` (a lone axis needs 3·), up to `maxPoolings` per axis; stop when no axis
 * qualifies. A convolution kernel is 3 along an axis once its spacing is within 2× of the finest, else
 * 1 (thick slices are convolved in-plane first). The bottleneck has kernels of 3.
 */
export function poolingTopology(spacing: readonly number[], patchSize: readonly number[], options: { minFeatureMapEdge?: number; maxPoolings?: number } = {}): PoolingTopology {
  const minEdge = options.minFeatureMapEdge ?? 4;
  const maxPoolings = options.maxPoolings ?? 5;
  const dims = spacing.length;
  const current = [...spacing];
  const size = [...patchSize];
  const poolingsPerAxis = new Array<number>(dims).fill(0);
  const kernel = new Array<number>(dims).fill(1);
  const strides: number[][] = [];
  const convKernels: number[][] = [];
  for (;;) {
    const bigEnough = current.map((_, a) => a).filter((a) => size[a]! >= 2 * minEdge);
    if (bigEnough.length === 0) break;
    const finest = Math.min(...bigEnough.map((a) => current[a]!));
    const axes = bigEnough.filter((a) => current[a]! / finest < 2 && poolingsPerAxis[a]! < maxPoolings);
    if (axes.length === 0 || (axes.length === 1 && size[axes[0]!]! < 3 * minEdge)) break;
    const overallFinest = Math.min(...current);
    for (let a = 0; a < dims; a++) if (current[a]! / overallFinest < 2) kernel[a] = 3;
    convKernels.push([...kernel]);
    strides.push(current.map((_, a) => (axes.includes(a) ? 2 : 1)));
    for (const a of axes) {
      poolingsPerAxis[a]! += 1;
      current[a]! *= 2;
      size[a] = Math.ceil(size[a]! / 2);
    }
  }
  convKernels.push(new Array<number>(dims).fill(3));
  const divisibleBy = poolingsPerAxis.map((p) => 2 ** p);
  return { poolingsPerAxis, strides, convKernels, divisibleBy, patchSize: patchSize.map((p, a) => Math.ceil(p / divisibleBy[a]!) * divisibleBy[a]!) };
}

/**
 * Measured peak over the activation count of the model below: TF.js's `tf.profile` peak bytes of one
 * unet3d GDL Adam step (native engine), less the parameter term, were 2.79, 2.81 and 2.86 × the count
 * (32³ × 1, 32³ × 2, 48×48×32 × 1): the intermediates of batch normalisation and of the gradient
 * kernels. 2.9 keeps the estimate above them.
 */
export const PEAK_FACTOR = 2.9;

/** The memory model of `estimateTrainingBytes`, as recorded in the plan. */
export const MEMORY_MODEL =
  'float32 activations kept for the backward pass of gendice\'s U-Net, times 2 for the gradients alive at the peak: per level l with V_l voxels and F_l filters, ' +
  '15·F_l·V_l (encoder 2×(conv, norm, ReLU) = 6; decoder up-convolution 1, concatenation 2, 2×(conv, norm, ReLU) = 6), the bottleneck 6·F·V, ' +
  `input C·V_0 and output 2·K·V_0; bytes = 4 · 2 · ${PEAK_FACTOR} (measured peak factor) · batch · Σ, plus 16 bytes per parameter (weights, gradients, Adam moments)`;

/** Estimated peak bytes of one training step (see `MEMORY_MODEL`). */
export function estimateTrainingBytes(
  patchSize: readonly number[],
  topology: Pick<PoolingTopology, 'strides' | 'convKernels'>,
  network: { inputChannels: number; classes: number; baseFilters: number; maxFilters: number; batchSize: number },
): number {
  const levels = topology.strides.length;
  const filters = (l: number): number => Math.min(network.maxFilters, network.baseFilters * 2 ** l);
  let voxels = patchSize.reduce((a, b) => a * b, 1);
  let floats = (network.inputChannels + 2 * network.classes) * voxels;
  let parameters = 0;
  let inputs = network.inputChannels;
  for (let l = 0; l <= levels; l++) {
    const F = filters(l);
    const taps = topology.convKernels[l]!.reduce((a, b) => a * b, 1);
    if (l === levels) {
      floats += 6 * F * voxels;
      parameters += taps * (inputs * F + F * F);
      break;
    }
    floats += 15 * F * voxels;
    // Encoder convolutions, decoder convolutions (after the concatenation) and the up-convolution.
    parameters += taps * (inputs * F + F * F) + taps * (2 * F * F + F * F) + filters(l + 1) * F * topology.strides[l]!.reduce((a, b) => a * b, 1);
    inputs = F;
    voxels /= topology.strides[l]!.reduce((a, b) => a * b, 1);
  }
  return 4 * 2 * PEAK_FACTOR * network.batchSize * floats + 16 * parameters;
}

function checkPositiveIntegers(op: string, key: string, value: readonly number[] | undefined, dims: number): void {
  if (value !== undefined && (value.length !== dims || !value.every((v) => Number.isInteger(v) && v >= 1))) {
    throw new Error(`${op}: ${key} must hold ${dims} positive integers, got [${value.join(', ')}]`);
  }
}

/**
 * The plan for a dataset (pure): target spacing (`targetSpacingFor`), the median shape there, a patch
 * that starts with the aspect ratio of 1/spacing (the volume of 256³, nnU-Net's start) clipped to the
 * median shape, shrunk along the axis largest relative to the median shape until a batch of
 * `minBatchSize` fits `memoryBudgetMiB` (`estimateTrainingBytes`), the U-Net topology
 * (`poolingTopology`), the largest batch that fits (at least `minBatchSize`, at most 5 % of the
 * dataset's voxels) and the normalisation per modality (`schemeForModality`; z-score inside the
 * non-zero mask when cropping shrinks the median case below ¾; CT statistics from the fingerprint).
 * Every field can be overridden through `options`.
 */
export function planFromFingerprint(fingerprint: DatasetFingerprint, options: PlanOptions = {}): Plan {
  const op = 'planFromFingerprint';
  const dims = fingerprint.dims;
  const budgetMiB = options.memoryBudgetMiB ?? 1024;
  if (!(Number.isFinite(budgetMiB) && budgetMiB > 0)) throw new Error(`${op}: memoryBudgetMiB must be a finite number > 0, got ${budgetMiB}`);
  const budget = budgetMiB * 2 ** 20;
  const baseFilters = options.baseFilters ?? 16;
  const maxFilters = options.maxFilters ?? 320;
  const minBatchSize = options.minBatchSize ?? 2;
  const maxShare = options.maxDatasetShare ?? 0.05;
  checkPositiveIntegers(op, 'patchSize', options.patchSize, dims);
  if (options.batchSize !== undefined && !(Number.isInteger(options.batchSize) && options.batchSize >= 1)) {
    throw new Error(`${op}: batchSize must be a positive integer, got ${options.batchSize}`);
  }
  if (options.targetSpacing !== undefined && (options.targetSpacing.length !== dims || !options.targetSpacing.every((s) => Number.isFinite(s) && s > 0))) {
    throw new Error(`${op}: targetSpacing must hold ${dims} positive finite numbers, got [${options.targetSpacing.join(', ')}]`);
  }
  const targetSpacing = options.targetSpacing ?? targetSpacingFor(fingerprint);
  const shapes = fingerprint.cases.map((c) => targetShapeFor(c.shape, c.spacing, targetSpacing));
  const medianShape = Array.from({ length: dims }, (_, a) => Math.round(percentile(shapes.map((s) => s[a]!), 50)));
  const classes = fingerprint.labels.length;
  const inputChannels = fingerprint.modalities.length;
  const topologyOptions = { ...(options.minFeatureMapEdge !== undefined && { minFeatureMapEdge: options.minFeatureMapEdge }), ...(options.maxPoolings !== undefined && { maxPoolings: options.maxPoolings }) };
  const network = { inputChannels, classes, baseFilters, maxFilters };
  const bytes = (patch: readonly number[], topology: PoolingTopology, batchSize: number): number =>
    estimateTrainingBytes(patch, topology, { ...network, batchSize });

  let topology: PoolingTopology;
  if (options.patchSize !== undefined) {
    topology = poolingTopology(targetSpacing, options.patchSize, topologyOptions);
  } else {
    const inverse = targetSpacing.map((s) => 1 / s);
    const start = 256 ** dims;
    const scale = (start / inverse.reduce((a, b) => a * b, 1)) ** (1 / dims);
    let patch = inverse.map((v, a) => Math.min(Math.round(v * scale), medianShape[a]!));
    topology = poolingTopology(targetSpacing, patch, topologyOptions);
    patch = topology.patchSize;
    // Shrink the axis largest relative to the median shape by one multiple of its divisor; each step
    // makes the patch strictly smaller, and it stops when no axis can shrink (the plan then says so:
    // memory.estimatedBytes > memory.budgetBytes).
    while (bytes(patch, topology, minBatchSize) > budget) {
      const shrinkable = patch.map((p, a) => a).filter((a) => patch[a]! > topology.divisibleBy[a]!);
      if (shrinkable.length === 0) break;
      const axis = shrinkable.reduce((best, a) => (patch[a]! / medianShape[a]! > patch[best]! / medianShape[best]! ? a : best));
      const next = [...patch];
      next[axis] = patch[axis]! - topology.divisibleBy[axis]!;
      topology = poolingTopology(targetSpacing, next, topologyOptions);
      patch = topology.patchSize;
    }
  }
  const patchSize = topology.patchSize;
  const perPatch = bytes(patchSize, topology, 1);
  const datasetVoxels = shapes.reduce((s, shape) => s + shape.reduce((a, b) => a * b, 1), 0);
  const patchVoxels = patchSize.reduce((a, b) => a * b, 1);
  const fits = Math.floor(budget / perPatch);
  const byShare = Math.round((maxShare * datasetVoxels) / patchVoxels);
  const batchSize = options.batchSize ?? Math.max(minBatchSize, Math.min(fits, byShare));

  const useNonzeroMask = fingerprint.medianRelativeSizeAfterCrop < 0.75;
  const overrides = options.normalization ?? [];
  const normalization = fingerprint.modalities.map((modality, c): { modality: string } & ChannelNormalization => {
    const scheme = overrides[c] ?? schemeForModality(modality, useNonzeroMask);
    if (!(INTENSITY_SCHEMES as readonly string[]).includes(scheme)) {
      throw new Error(`${op}: normalization[${c}] must be one of ${INTENSITY_SCHEMES.map((s) => `'${s}'`).join(', ')}; got '${String(scheme)}'`);
    }
    if (scheme !== 'ct') return { modality, scheme };
    const s = fingerprint.intensities[c]!;
    if (s.samples === 0) throw new Error(`${op}: modality ${c} ('${modality}') uses 'ct' but the fingerprint holds no foreground intensities`);
    return { modality, scheme, statistics: { mean: s.mean, sd: s.sd, lower: s.percentile00_5, upper: s.percentile99_5 } };
  });
  return {
    version: 1,
    dataset: fingerprint.name,
    dims,
    targetSpacing,
    medianShape,
    patchSize,
    batchSize,
    network: {
      name: dims === 2 ? 'unet2d' : 'unet3d',
      depth: topology.strides.length,
      baseFilters,
      maxFilters,
      poolingsPerAxis: topology.poolingsPerAxis,
      strides: topology.strides,
      convKernels: topology.convKernels,
      divisibleBy: topology.divisibleBy,
    },
    memory: { budgetBytes: budget, estimatedBytes: bytes(patchSize, topology, batchSize), model: MEMORY_MODEL },
    resampling: { image: 'cubic', label: 'linear-onehot', separateAxis: 'nearest', anisotropyThreshold: ANISOTROPY_THRESHOLD },
    useNonzeroMask,
    normalization,
    inputChannels,
    classes,
    labels: fingerprint.labels.map((l) => ({ value: l.value, name: l.name })),
  };
}
