import { fromTargetGrid, toTargetGrid, type GridTransform } from './geometry.js';
import { INTENSITY_SCHEMES, normalizeIntensities, type ChannelNormalization } from './intensity.js';
import type { Plan } from './plan.js';
import { IMAGE_INTERPOLATIONS, LABEL_INTERPOLATIONS } from './resample.js';
import type { Volume } from './volume.js';

/**
 * How a model's cases were brought to its training grid and normalised, as the model card records it
 * (`preprocessing` in gendice.json): RAS, the target spacing with the plan's interpolations, then one
 * normalisation per channel (CT with the dataset statistics). Inference applies the same and writes
 * the prediction back on the source grid.
 */
export interface TargetPreprocessing {
  targetSpacing: number[];
  resampling: Plan['resampling'];
  normalization: ChannelNormalization[];
  /** The label set (background included) for the one-hot interpolation. */
  labels: number[];
}

/** The preprocessing a plan prescribes. */
export function preprocessingFromPlan(plan: Plan): TargetPreprocessing {
  const labels = plan.labels.map((l) => l.value);
  return {
    targetSpacing: [...plan.targetSpacing],
    resampling: { ...plan.resampling },
    // The plan's entries carry the modality name too; the card keeps only the normalisation.
    normalization: plan.normalization.map(({ modality: _modality, ...n }) => n as ChannelNormalization),
    labels: labels.includes(0) || labels.length === 0 ? labels : [0, ...labels],
  };
}

/** Checks a card's `preprocessing` field; errors name `source` and the field. */
export function parsePreprocessing(value: unknown, source: string): TargetPreprocessing {
  const fail = (field: string, rule: string, got: unknown): never => {
    throw new Error(`parsePreprocessing: ${source}: preprocessing.${field} must be ${rule}; got ${JSON.stringify(got)}`);
  };
  if (typeof value !== 'object' || value === null) return fail('', 'an object', value);
  const p = value as Partial<TargetPreprocessing>;
  if (!Array.isArray(p.targetSpacing) || !p.targetSpacing.every((s) => typeof s === 'number' && s > 0)) fail('targetSpacing', 'positive numbers', p.targetSpacing);
  const r = p.resampling;
  if (r === undefined || !(IMAGE_INTERPOLATIONS as readonly string[]).includes(r.image) || !(LABEL_INTERPOLATIONS as readonly string[]).includes(r.label)) {
    fail('resampling', 'an object { image, label, separateAxis, anisotropyThreshold }', r);
  }
  if (!Array.isArray(p.normalization) || !p.normalization.every((n) => (INTENSITY_SCHEMES as readonly string[]).includes((n as { scheme: string })?.scheme))) {
    fail('normalization', `one { scheme } per channel (${INTENSITY_SCHEMES.join(', ')})`, p.normalization);
  }
  if (!Array.isArray(p.labels) || !p.labels.every(Number.isInteger)) fail('labels', 'integers', p.labels);
  return p as TargetPreprocessing;
}

/** An image (and label map) on the training grid, normalised; `transform` brings predictions back (`restoreToSource`). */
export function preprocessToTarget(image: Volume, label: Volume | undefined, p: TargetPreprocessing): { image: Volume; label?: Volume; transform: GridTransform } {
  const grid = toTargetGrid(image, label, p.targetSpacing, {
    interpolation: p.resampling.image,
    separateInterpolation: p.resampling.separateAxis,
    labelInterpolation: p.resampling.label,
    anisotropyThreshold: p.resampling.anisotropyThreshold,
    ...(p.labels.length > 0 ? { labels: p.labels } : {}),
  });
  return { ...grid, image: normalizeIntensities(grid.image, p.normalization) };
}

/** A prediction made on the training grid, on the source image's exact grid (shape and affine). */
export function restoreToSource(prediction: { labels: Volume; probabilities: Volume }, transform: GridTransform, classes: number): { labels: Volume; probabilities: Volume } {
  const labels = Array.from({ length: classes }, (_, k) => k);
  return {
    labels: fromTargetGrid(prediction.labels, transform, { kind: 'labels', labels }),
    probabilities: fromTargetGrid(prediction.probabilities, transform, { kind: 'probabilities' }),
  };
}
