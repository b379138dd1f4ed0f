import { reorient, undoReorientation, type OrientationTransform } from './orientation.js';
import {
  resampleImage,
  resampleLabels,
  type ImageInterpolation,
  type LabelInterpolation,
} from './resample.js';
import type { Volume } from './volume.js';

/** nnU-Net's ANISO_THRESHOLD: an axis whose spacing is more than 3× the finest is resampled on its own. */
export const ANISOTROPY_THRESHOLD = 3;

/**
 * How a case was brought to the training grid (RAS, then the target spacing), kept so that a prediction
 * made there goes back to the source grid exactly (`fromTargetGrid`).
 */
export interface GridTransform {
  orientation: OrientationTransform;
  /** Shape, spacing and affine after reorientation (before resampling). */
  reorientedShape: number[];
  reorientedSpacing: number[];
  reorientedAffine: number[];
  /** Shape on the training grid. */
  targetShape: number[];
  targetSpacing: number[];
  /** The thick-slice axis (in RAS axis order) resampled separately, or undefined. */
  separateAxis: number | undefined;
}

export interface ToTargetGridOptions {
  /** Image interpolation in-plane. Default 'cubic'. */
  interpolation?: ImageInterpolation;
  /** Image interpolation along the separate axis. Default 'nearest' (nnU-Net). */
  separateInterpolation?: ImageInterpolation;
  /** Default 'linear-onehot'. */
  labelInterpolation?: LabelInterpolation;
  /** Label set for the one-hot interpolation (default: the values present). */
  labels?: readonly number[];
  /** Default `ANISOTROPY_THRESHOLD` (3); Infinity never separates. */
  anisotropyThreshold?: number;
}

/** What a prediction on the training grid holds: a label map, or per-class probabilities (any channels). */
export const PREDICTION_KINDS = ['labels', 'probabilities'] as const;
export type PredictionKind = (typeof PREDICTION_KINDS)[number];

export interface FromTargetGridOptions {
  /** 'labels' (a label map; default) or 'probabilities' (any number of channels, linear). */
  kind?: PredictionKind;
  /** For labels, default 'linear-onehot'. */
  labelInterpolation?: LabelInterpolation;
  /** For labels: the label set (default: the values present in the prediction). */
  labels?: readonly number[];
}

/** The extent on a grid of `targetSpacing`: round(shape · spacing / target), at least 1 (nnU-Net's rule). */
export function targetShapeFor(shape: readonly number[], spacing: readonly number[], targetSpacing: readonly number[]): number[] {
  if (targetSpacing.length !== shape.length || !targetSpacing.every((s) => Number.isFinite(s) && s > 0)) {
    throw new Error(`targetShapeFor: targetSpacing must hold ${shape.length} positive finite numbers, got [${targetSpacing.join(', ')}]`);
  }
  return shape.map((n, a) => Math.max(1, Math.round((n * spacing[a]!) / targetSpacing[a]!)));
}

function uniqueLargestAxis(spacing: readonly number[], threshold: number): number | undefined {
  const max = Math.max(...spacing);
  const min = Math.min(...spacing);
  if (!(max / min > threshold)) return undefined;
  const axes = spacing.flatMap((s, a) => (s === max ? [a] : []));
  return axes.length === 1 ? axes[0] : undefined;
}

/**
 * nnU-Net's "separate z" rule: when the source spacing has one axis more than `threshold` × coarser
 * than the finest, that axis; else the same test on the target spacing; else (or when two axes tie
 * for coarsest, or the volume is 2D) undefined.
 */
export function separateAxisFor(spacing: readonly number[], targetSpacing: readonly number[], threshold = ANISOTROPY_THRESHOLD): number | undefined {
  if (spacing.length < 3) return undefined;
  return uniqueLargestAxis(spacing, threshold) ?? uniqueLargestAxis(targetSpacing, threshold);
}

/**
 * Brings an image (and its label map) to RAS (`reorient`: permutation and flips, never resampling) and
 * then to `targetSpacing` (given in RAS axis order): images cubic in-plane and nearest along a thick-slice
 * axis, labels linear on one-hot masks then argmax (nearest along that axis), both as nnU-Net. Resampling
 * happens in voxel space along the volume's own axes, so an oblique affine stays oblique; the new affine
 * is exact (`resampledAffine`), and the grids share their outer voxel edges.
 */
export function toTargetGrid(
  image: Volume,
  label: Volume | undefined,
  targetSpacing: readonly number[],
  options: ToTargetGridOptions = {},
): { image: Volume; label?: Volume; transform: GridTransform } {
  const threshold = options.anisotropyThreshold ?? ANISOTROPY_THRESHOLD;
  if (!(threshold > 1)) throw new Error(`toTargetGrid: anisotropyThreshold must be > 1, got ${threshold}`);
  if (label !== undefined && label.shape.join(',') !== image.shape.join(',')) {
    throw new Error(`toTargetGrid: label shape [${label.shape.join(', ')}] differs from image shape [${image.shape.join(', ')}]`);
  }
  const { volume: ras, transform: orientation } = reorient(image, 'RAS');
  const targetShape = targetShapeFor(ras.shape, ras.spacing, targetSpacing);
  const separateAxis = separateAxisFor(ras.spacing, targetSpacing, threshold);
  const outImage = resampleImage(ras, targetShape, {
    interpolation: options.interpolation ?? 'cubic',
    separateInterpolation: options.separateInterpolation ?? 'nearest',
    separateAxis,
  });
  const transform: GridTransform = {
    orientation,
    reorientedShape: [...ras.shape],
    reorientedSpacing: [...ras.spacing],
    reorientedAffine: [...ras.affine],
    targetShape,
    targetSpacing: [...targetSpacing],
    separateAxis,
  };
  if (label === undefined) return { image: outImage, transform };
  // The image's affine for both, so that they are permuted alike (loadCase has checked they agree).
  const rasLabel = reorient({ ...label, affine: image.affine }, 'RAS').volume;
  const labelOptions = { interpolation: options.labelInterpolation ?? 'linear-onehot', separateAxis } as const;
  const outLabel = resampleLabels(rasLabel, targetShape, options.labels === undefined ? labelOptions : { ...labelOptions, labels: options.labels });
  return { image: outImage, label: outLabel, transform };
}

/**
 * The inverse of `toTargetGrid` for a prediction made on the training grid: resampled back to the
 * reoriented shape (labels linear on one-hot then argmax, probabilities linear; nearest along the same
 * separate axis), then `undoReorientation`. The result has exactly the source shape and affine, and a
 * label map only holds values of its label set.
 */
export function fromTargetGrid(prediction: Volume, transform: GridTransform, options: FromTargetGridOptions = {}): Volume {
  const op = 'fromTargetGrid';
  if (prediction.shape.join(',') !== transform.targetShape.join(',')) {
    throw new Error(`${op}: prediction shape [${prediction.shape.join(', ')}] differs from the target grid [${transform.targetShape.join(', ')}]`);
  }
  const kind = options.kind ?? 'labels';
  if (!PREDICTION_KINDS.includes(kind)) {
    throw new Error(`${op}: kind must be one of ${PREDICTION_KINDS.map((k) => `'${k}'`).join(', ')}; got '${String(kind)}'`);
  }
  const separateAxis = transform.separateAxis;
  let back: Volume;
  if (kind === 'probabilities') {
    back = resampleImage(prediction, transform.reorientedShape, { interpolation: 'linear', separateInterpolation: 'nearest', separateAxis });
  } else {
    const labelOptions = { interpolation: options.labelInterpolation ?? 'linear-onehot', separateAxis } as const;
    back = resampleLabels(prediction, transform.reorientedShape, options.labels === undefined ? labelOptions : { ...labelOptions, labels: options.labels });
  }
  // Exact, not recomputed: the reoriented grid's own spacing and affine.
  back = { ...back, spacing: [...transform.reorientedSpacing], affine: [...transform.reorientedAffine] };
  return undoReorientation(back, transform.orientation);
}
