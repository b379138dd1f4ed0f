import { Random } from '../common/random.js';
import {
  AUGMENTATION_TRANSFORMS,
  augmentationProblems,
  augmentationSchema,
  resolveAugmentation,
  type AugmentationConfigInput,
  type ResolvedAugmentation,
} from './augmentationConfig.js';
import { augmentIntensities } from './augmentationIntensity.js';
import { cropPatch, drawSpatial, resamplePatch, sourcePatchSize } from './augmentationSpatial.js';
import type { PatchBatch } from './patchSampler.js';

/** The augmenter's state, for checkpoints: its generator. */
export interface AugmenterState {
  random: number;
}

/** Turns the schema's issues into `Augmenter: field: problem` lines. */
function parseOptions(options: unknown): ReturnType<typeof augmentationSchema.parse> {
  const r = augmentationSchema.safeParse(options);
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => {
    const path = i.path.map(String).join('.') || '(root)';
    return i.code === 'unrecognized_keys' ? `${i.keys.map((k) => (i.path.length ? `${path}.${k}` : k)).join(', ')}: unknown key` : `${path}: ${i.message}`;
  });
  throw new Error(`Augmenter: invalid options\n  ${lines.join('\n  ')}`);
}

/**
 * Seeded on-the-fly data augmentation of patch batches, nnU-Net v2's default pipeline
 * (docs/training.md, "Augmentation"): rotation, scaling and optional elastic deformation (one spatial
 * transform, images trilinear or tricubic, labels nearest), Gaussian noise, Gaussian blur, multiplicative
 * brightness, contrast, gamma on the inverted image and gamma, and mirroring, each with its probability.
 *
 * Spatial transforms read from a larger source patch (`sourcePatchSize`, to draw with the sampler) so that
 * the rotated, zoomed patch has no empty corners; `augment` returns patches of `patchSize`. Labels only
 * ever take values of their source patch. Deterministic from the seed; `getState`/`setState` resume.
 */
export class Augmenter {
  readonly patchSize: number[];
  /** The patch the sampler must draw: larger than `patchSize` when a spatial transform is on. */
  readonly sourcePatchSize: number[];
  readonly transforms: ResolvedAugmentation;
  private rng: Random;

  constructor(options: AugmentationConfigInput, patchSize: readonly number[], seed = 0) {
    if (!Array.isArray(patchSize) || (patchSize.length !== 2 && patchSize.length !== 3) || !patchSize.every((p) => Number.isInteger(p) && p >= 1)) {
      throw new Error(`Augmenter: patchSize must be 2 or 3 positive integers; got [${String(patchSize)}]`);
    }
    const transforms = resolveAugmentation(parseOptions(options), patchSize);
    const problems = augmentationProblems(transforms, patchSize.length);
    if (problems.length > 0) throw new Error(`Augmenter: invalid options\n  ${problems.join('\n  ')}`);
    this.patchSize = [...patchSize];
    this.transforms = transforms;
    this.sourcePatchSize = sourcePatchSize(transforms, patchSize);
    this.rng = new Random(seed);
  }

  /** True when no transform is on (augment() then returns batches of the source patch unchanged). */
  get isIdentity(): boolean {
    return AUGMENTATION_TRANSFORMS.every((t) => this.transforms[t] === undefined);
  }

  /**
   * Augments a batch of `sourcePatchSize` patches into a new batch of `patchSize` patches (the input's
   * arrays are not changed). `origins` move to the output patch; `foregroundFractions` stay the
   * sampler's (measured before augmentation).
   */
  augment(batch: PatchBatch): PatchBatch {
    const spatial = batch.imageShape.slice(1, -1);
    const C = batch.imageShape[batch.imageShape.length - 1]!;
    const B = batch.imageShape[0]!;
    if (spatial.join() !== this.sourcePatchSize.join()) {
      throw new Error(`Augmenter.augment: batch patches are [${spatial.join(', ')}], expected the source patch [${this.sourcePatchSize.join(', ')}]`);
    }
    if (this.isIdentity) return batch;
    const source3 = [spatial[0]!, spatial[1]!, spatial[2] ?? 1];
    const patch3 = [this.patchSize[0]!, this.patchSize[1]!, this.patchSize[2] ?? 1];
    const per = patch3[0]! * patch3[1]! * patch3[2]!;
    const sourcePer = source3[0]! * source3[1]! * source3[2]!;
    const images = new Float32Array(B * per * C);
    const labels = new Int32Array(B * per);
    const shift = this.sourcePatchSize.map((s, a) => (s - this.patchSize[a]!) / 2);
    for (let b = 0; b < B; b++) {
      const source = { images: batch.images, labels: batch.labels, at: b * sourcePer, shape: source3 };
      const target = { images, labels, at: b * per, shape: patch3 };
      const draw = drawSpatial(this.transforms, patch3, this.rng);
      if (draw === undefined) cropPatch(source, target, C);
      else resamplePatch(draw, source, target, C, this.transforms.imageInterpolation === 'cubic');
      augmentIntensities({ images, at: b * per, voxels: per, channels: C, shape: patch3 }, this.transforms, this.rng);
      if (this.transforms.mirror !== undefined) this.mirror(images, labels, b * per, patch3, C);
    }
    return {
      ...batch,
      images,
      labels,
      imageShape: [B, ...this.patchSize, C],
      labelShape: [B, ...this.patchSize, 1],
      origins: batch.origins.map((o) => o.map((v, a) => v + shift[a]!)),
    };
  }

  /** Mirrors each of `mirror.axes` with its probability (nnU-Net: 0.5 per axis), images and labels alike. */
  private mirror(images: Float32Array, labels: Int32Array, at: number, patch3: number[], C: number): void {
    const { axes, probability } = this.transforms.mirror!;
    const flips = axes.filter(() => this.rng.next() < probability);
    if (flips.length === 0) return;
    const [px, py, pz] = patch3 as [number, number, number];
    const per = px * py * pz;
    const img = images.slice(at * C, (at + per) * C);
    const lab = labels.slice(at, at + per);
    const fx = flips.includes(0);
    const fy = flips.includes(1);
    const fz = flips.includes(2);
    for (let x = 0, v = 0; x < px; x++) {
      const sx = fx ? px - 1 - x : x;
      for (let y = 0; y < py; y++) {
        const sy = fy ? py - 1 - y : y;
        for (let z = 0; z < pz; z++, v++) {
          const s = (sx * py + sy) * pz + (fz ? pz - 1 - z : z);
          labels[at + v] = lab[s]!;
          for (let c = 0; c < C; c++) images[(at + v) * C + c] = img[s * C + c]!;
        }
      }
    }
  }

  getState(): AugmenterState {
    return { random: this.rng.getState() };
  }

  setState(state: AugmenterState): void {
    if (!Number.isInteger(state?.random)) throw new Error(`Augmenter.setState: expected {random: integer}, got ${JSON.stringify(state)}`);
    this.rng = Random.fromState(state.random);
  }
}

/**
 * The augmenter of a training run: undefined when the configuration has no `augmentation` (runs as
 * before, bit for bit). Its seed is the run's seed mixed with a constant, so that its draws are apart
 * from the sampler's.
 */
export function trainingAugmenter(augmentation: AugmentationConfigInput | undefined, patchSize: readonly number[], seed: number): Augmenter | undefined {
  return augmentation === undefined ? undefined : new Augmenter(augmentation, patchSize, (seed ^ 0x9e3779b9) >>> 0);
}
