import { z } from 'zod';
import { OptionError } from '../common/options.js';

/**
 * The `augmentation` key of a training configuration (docs/training.md, "Augmentation"):
 * `'default'` (nnU-Net v2's default pipeline for the patch), `'none'`, or an object naming the
 * transforms. In an object every transform not named is off, unless `base: 'default'`, where the
 * named ones replace nnU-Net's (`{ probability: 0 }` switches one off). A named transform's fields
 * default to nnU-Net's values. Unknown keys are errors.
 */

const probability = z.number().min(0).max(1);
const ordered = (t: [number, number]): boolean => t[0] <= t[1];
const range = z.tuple([z.number(), z.number()]).refine(ordered, { message: 'must be [lo, hi] with lo <= hi' });
const positiveRange = z.tuple([z.number().positive(), z.number().positive()]).refine(ordered, { message: 'must be [lo, hi] with 0 < lo <= hi' });
const nonNegativeRange = z.tuple([z.number().min(0), z.number().min(0)]).refine(ordered, { message: 'must be [lo, hi] with 0 <= lo <= hi' });
const axes = z.array(z.number().int().min(0).max(2)).min(1);

const mirror = z.object({ probability: probability.default(0.5), axes: axes.optional() }).strict();
const rotation = z.object({ probability: probability.default(0.2), degrees: range.optional(), axes: axes.optional() }).strict();
const scaling = z
  .object({ probability: probability.default(0.2), range: positiveRange.default([0.7, 1.4]), synchronizeAxes: z.boolean().default(true), axes: axes.optional() })
  .strict();
const elastic = z.object({ probability: probability.default(0.2), scale: nonNegativeRange.default([0, 0.2]), magnitude: nonNegativeRange.default([0, 0.1]) }).strict();
const noise = z.object({ probability: probability.default(0.1), sigma: nonNegativeRange.default([0, 0.1]) }).strict();
const blur = z.object({ probability: probability.default(0.2), sigma: positiveRange.default([0.5, 1]), channelProbability: probability.default(0.5) }).strict();
const brightness = z.object({ probability: probability.default(0.15), range: positiveRange.default([0.75, 1.25]) }).strict();
const contrast = z.object({ probability: probability.default(0.15), range: positiveRange.default([0.75, 1.25]), preserveRange: z.boolean().default(true) }).strict();
const lowResolution = z
  .object({ probability: probability.default(0.25), zoom: positiveRange.default([0.5, 1]), channelProbability: probability.default(0.5), axes: axes.optional() })
  .strict();
const gamma = (p: number) => z.object({ probability: probability.default(p), range: positiveRange.default([0.7, 1.5]), retainStats: z.boolean().default(true) }).strict();

const transforms = {
  mirror: mirror.optional(),
  rotation: rotation.optional(),
  scaling: scaling.optional(),
  elastic: elastic.optional(),
  noise: noise.optional(),
  blur: blur.optional(),
  brightness: brightness.optional(),
  contrast: contrast.optional(),
  lowResolution: lowResolution.optional(),
  /** Gamma of the inverted image (nnU-Net: p 0.1), applied before `gamma`. */
  invertedGamma: gamma(0.1).optional(),
  gamma: gamma(0.3).optional(),
};

/** The transform names, in the order they are applied (mirroring last, as in nnU-Net). */
export const AUGMENTATION_TRANSFORMS = ['rotation', 'scaling', 'elastic', 'noise', 'blur', 'brightness', 'contrast', 'lowResolution', 'invertedGamma', 'gamma', 'mirror'] as const;

/** Interpolation of images in the spatial transform (labels: always nearest). nnU-Net v2: linear. */
export const AUGMENTATION_INTERPOLATIONS = ['linear', 'cubic'] as const;

const augmentationObject = z
  .object({ base: z.enum(['default', 'none']).default('none'), imageInterpolation: z.enum(AUGMENTATION_INTERPOLATIONS).default('linear'), ...transforms })
  .strict();

/** The schema of `augmentation`; `'default'` and `'none'` are read as `{ base: 'default' }` and `{ base: 'none' }`. */
export const augmentationSchema = z.preprocess((v) => (v === 'default' || v === 'none' ? { base: v } : v), augmentationObject);

export type AugmentationConfig = z.infer<typeof augmentationObject>;
/** What a user writes. */
export type AugmentationConfigInput = 'default' | 'none' | z.input<typeof augmentationObject>;

type Present<T> = Exclude<T, undefined>;

/** Every transform with all its parameters, as the Augmenter applies them (absent: off). */
export interface ResolvedAugmentation {
  imageInterpolation: (typeof AUGMENTATION_INTERPOLATIONS)[number];
  mirror?: { probability: number; axes: number[] };
  /** `axes`: the axes rotated about (3D; for 2D patches the one rotation in their plane, `[2]`). Angles in degrees. */
  rotation?: { probability: number; degrees: [number, number]; axes: number[] };
  scaling?: Present<AugmentationConfig['scaling']> & { axes: number[] };
  elastic?: Present<AugmentationConfig['elastic']>;
  noise?: Present<AugmentationConfig['noise']>;
  blur?: Present<AugmentationConfig['blur']>;
  brightness?: Present<AugmentationConfig['brightness']>;
  contrast?: Present<AugmentationConfig['contrast']>;
  /** `axes`: the axes made coarse (all but the thin axis of an anisotropic patch, as nnU-Net's `ignore_axes`). */
  lowResolution?: Present<AugmentationConfig['lowResolution']> & { axes: number[] };
  invertedGamma?: Present<AugmentationConfig['invertedGamma']>;
  gamma?: Present<AugmentationConfig['gamma']>;
}

/** nnU-Net's anisotropy threshold: a 3D patch whose largest extent exceeds 3× its smallest is augmented in-plane (its "dummy 2D"). */
const ANISOTROPY_THRESHOLD = 3;

/** The axis treated as the thick-slice axis of a 3D patch (its smallest extent), or undefined when the patch is not anisotropic. */
export function thickAxisOf(patchSize: readonly number[]): number | undefined {
  if (patchSize.length !== 3) return undefined;
  const lo = Math.min(...patchSize);
  return Math.max(...patchSize) / lo > ANISOTROPY_THRESHOLD ? patchSize.indexOf(lo) : undefined;
}

/**
 * nnU-Net's rotation range for a patch (`configure_rotation_dummyDA_mirroring_and_inital_patch_size`):
 * 2D ±180° (±15° when one side exceeds 1.5× the other); 3D ±30° about each axis, or ±180° about the
 * thick axis only for an anisotropic patch.
 */
function defaultRotation(patchSize: readonly number[]): { degrees: [number, number]; axes: number[] } {
  if (patchSize.length === 2) {
    const wide = Math.max(...patchSize) / Math.min(...patchSize) > 1.5;
    return { degrees: wide ? [-15, 15] : [-180, 180], axes: [2] };
  }
  const thick = thickAxisOf(patchSize);
  return thick === undefined ? { degrees: [-30, 30], axes: [0, 1, 2] } : { degrees: [-180, 180], axes: [thick] };
}

/** Resolves a parsed `augmentation` value for a patch size: defaults by the patch, `base`, probability 0 as off. */
export function resolveAugmentation(config: AugmentationConfig, patchSize: readonly number[]): ResolvedAugmentation {
  const rank = patchSize.length;
  const all = Array.from({ length: rank }, (_, a) => a);
  const thick = thickAxisOf(patchSize);
  const inPlane = thick === undefined ? all : all.filter((a) => a !== thick);
  // Each transform as named, from nnU-Net's defaults under base 'default' (elastic stays off there), or
  // undefined when off (not named, or probability 0).
  const pick = <T>(key: keyof typeof transforms): T | undefined => {
    const named = config[key];
    const v = named ?? (config.base === 'default' && key !== 'elastic' ? transforms[key].parse({}) : undefined);
    return v === undefined || v.probability === 0 ? undefined : (v as T);
  };
  const out: ResolvedAugmentation = { imageInterpolation: config.imageInterpolation };
  const m = pick<{ probability: number; axes?: number[] }>('mirror');
  if (m) out.mirror = { probability: m.probability, axes: m.axes ?? all };
  const r = pick<{ probability: number; degrees?: [number, number]; axes?: number[] }>('rotation');
  if (r) {
    const d = defaultRotation(patchSize);
    out.rotation = { probability: r.probability, degrees: r.degrees ?? d.degrees, axes: r.axes ?? d.axes };
  }
  const s = pick<Omit<NonNullable<ResolvedAugmentation['scaling']>, 'axes'> & { axes?: number[] }>('scaling');
  if (s) out.scaling = { ...s, axes: s.axes ?? inPlane };
  const l = pick<Omit<NonNullable<ResolvedAugmentation['lowResolution']>, 'axes'> & { axes?: number[] }>('lowResolution');
  if (l) out.lowResolution = { ...l, axes: l.axes ?? inPlane };
  for (const key of ['elastic', 'noise', 'blur', 'brightness', 'contrast', 'invertedGamma', 'gamma'] as const) {
    const v = pick<object>(key);
    if (v) (out as unknown as Record<string, unknown>)[key] = v;
  }
  return out;
}

/** The problems of a resolved augmentation for patches of `rank` dimensions (axes out of range), as `field: problem`. */
export function augmentationProblems(resolved: ResolvedAugmentation, rank: number): string[] {
  const problems: string[] = [];
  const checkAxes = (field: string, list: number[] | undefined): void => {
    const bad = (list ?? []).filter((a) => a >= rank);
    if (bad.length > 0) problems.push(`${field}.axes: must be axes of the ${rank}D patch (0..${rank - 1}); got [${list!.join(', ')}]`);
  };
  checkAxes('mirror', resolved.mirror?.axes);
  checkAxes('scaling', resolved.scaling?.axes);
  checkAxes('lowResolution', resolved.lowResolution?.axes);
  if (resolved.rotation !== undefined && rank === 2 && resolved.rotation.axes.join() !== '2') {
    problems.push(`rotation.axes: 2D patches rotate in their plane; leave axes out, got [${resolved.rotation.axes.join(', ')}]`);
  } else if (rank === 3) checkAxes('rotation', resolved.rotation?.axes);
  return problems;
}

/** The check of a configuration's `augmentation` against its patch size (axes of the patch), for `checkFields`. */
export function augmentationCheck(path: string, config: AugmentationConfig | undefined, patchSize: readonly number[]): { path: string; check: () => void } {
  return {
    path,
    check: () => {
      if (config === undefined) return;
      const [first] = augmentationProblems(resolveAugmentation(config, patchSize), patchSize.length);
      if (first !== undefined) throw new OptionError('augmentation', first.slice(0, first.indexOf(':')), first.slice(first.indexOf(':') + 2));
    },
  };
}
