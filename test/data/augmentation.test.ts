import { describe, expect, it } from 'vitest';
import { Augmenter, type AugmentationConfigInput, type PatchBatch } from '../../src/data/index.js';
import { Random } from '../../src/common/index.js';
import { parseTrainingConfig } from '../../src/training/index.js';
import { tinyConfig } from '../training/tinyConfig.js';

/** A batch of `B` random patches of `shape` (2D or 3D) with `C` channels; labels 0..3 in blobs of value. */
function batch(shape: number[], { B = 1, C = 1, seed = 1 } = {}): PatchBatch {
  const rng = new Random(seed);
  const per = shape.reduce((a, b) => a * b, 1);
  const images = Float32Array.from({ length: B * per * C }, () => rng.next() * 2 - 1);
  const labels = Int32Array.from({ length: B * per }, (_, i) => (i % 7 === 0 ? 3 : i % 5 === 0 ? 1 : 0));
  return {
    images,
    labels,
    imageShape: [B, ...shape, C],
    labelShape: [B, ...shape, 1],
    cases: new Array<number>(B).fill(0),
    origins: Array.from({ length: B }, () => shape.map(() => 0)),
    centreClasses: new Array<number>(B).fill(-1),
    foregroundFractions: new Array<number>(B).fill(0.5),
  };
}

/** A 3×3 2D patch, image = label = 0..8 (row-major [x, y]). */
function counting(): PatchBatch {
  return { ...batch([3, 3]), images: Float32Array.from({ length: 9 }, (_, i) => i), labels: Int32Array.from({ length: 9 }, (_, i) => i) };
}

const augment = (options: AugmentationConfigInput, b: PatchBatch, seed = 0): PatchBatch =>
  new Augmenter(options, b.imageShape.slice(1, -1), seed).augment(b);

describe('Augmenter: spatial transforms', () => {
  it('mirrors each axis exactly, images and labels alike; mirroring twice is the identity', () => {
    const x = augment({ mirror: { axes: [0], probability: 1 } }, counting());
    expect(Array.from(x.images)).toEqual([6, 7, 8, 3, 4, 5, 0, 1, 2]);
    expect(Array.from(x.labels)).toEqual([6, 7, 8, 3, 4, 5, 0, 1, 2]);
    expect(Array.from(augment({ mirror: { axes: [1], probability: 1 } }, counting()).labels)).toEqual([2, 1, 0, 5, 4, 3, 8, 7, 6]);
    const b = batch([5, 4, 3], { B: 2, C: 2 });
    const all = { mirror: { probability: 1 } };
    const twice = augment(all, augment(all, b));
    expect(Array.from(twice.images)).toEqual(Array.from(b.images));
    expect(Array.from(twice.labels)).toEqual(Array.from(b.labels));
    expect(Array.from(augment(all, b).images)).not.toEqual(Array.from(b.images));
  });

  it('a rotation by 0° and a scaling by 1 are the identity (2D and 3D, several channels, linear and cubic)', () => {
    for (const imageInterpolation of ['linear', 'cubic'] as const) {
      for (const shape of [[6, 5], [5, 4, 3]]) {
        const options = { imageInterpolation, rotation: { probability: 1, degrees: [0, 0] as [number, number] }, scaling: { probability: 1, range: [1, 1] as [number, number] } };
        const aug = new Augmenter(options, shape, 0);
        // Cubic interpolation reads 2 more voxels a side (its taps).
        expect(aug.sourcePatchSize).toEqual(shape.map((p) => (imageInterpolation === 'cubic' ? p + 4 : p)));
        const b = batch(aug.sourcePatchSize, { B: 2, C: 3 });
        const a = aug.augment(b);
        expect(a.imageShape).toEqual([2, ...shape, 3]);
        // The output is the source's exact centre.
        const margin = (aug.sourcePatchSize[0]! - shape[0]!) / 2;
        const src = aug.sourcePatchSize;
        const inner = shape.length === 2 ? [src[1]!] : [src[1]!, src[2]!];
        const at = (x: number, y: number, z = 0): number => (shape.length === 2 ? x * inner[0]! + y : (x * inner[0]! + y) * inner[1]! + z);
        const expectedLabels: number[] = [];
        const expectedImages: number[] = [];
        for (let bb = 0; bb < 2; bb++) {
          const per = src.reduce((p, q) => p * q, 1);
          for (let x = 0; x < shape[0]!; x++) {
            for (let y = 0; y < shape[1]!; y++) {
              for (let z = 0; z < (shape[2] ?? 1); z++) {
                const s = bb * per + at(x + margin, y + margin, z + (shape.length === 3 ? margin : 0));
                expectedLabels.push(b.labels[s]!);
                for (let c = 0; c < 3; c++) expectedImages.push(b.images[s * 3 + c]!);
              }
            }
          }
        }
        expect(Array.from(a.labels)).toEqual(expectedLabels);
        expect(Array.from(a.images)).toEqual(expectedImages);
      }
    }
  });

  it('a rotation by 90° in 2D is the quarter turn (linear and cubic)', () => {
    const a = augment({ rotation: { probability: 1, degrees: [90, 90] } }, counting());
    expect(Array.from(a.labels)).toEqual([6, 3, 0, 7, 4, 1, 8, 5, 2]);
    const cubic = new Augmenter({ imageInterpolation: 'cubic', rotation: { probability: 1, degrees: [90, 90] } }, [3, 3]);
    const big = batch(cubic.sourcePatchSize);
    big.images.forEach((_, i) => (big.images[i] = big.labels[i] = i));
    const c = cubic.augment(big);
    // The centre 3×3 of the 7×7 source (values 16..18, 23..25, 30..32), turned.
    expect(Array.from(c.labels)).toEqual([30, 23, 16, 31, 24, 17, 32, 25, 18]);
    Array.from(c.images).forEach((v, i) => expect(v).toBeCloseTo(c.labels[i]!, 4));
    expect(Array.from(augment({ rotation: { probability: 1, degrees: [-90, -90] } }, counting()).labels)).toEqual([2, 5, 8, 1, 4, 7, 0, 3, 6]);
    Array.from(a.images).forEach((v, i) => expect(v).toBeCloseTo(a.labels[i]!, 5));
  });

  it('reads a larger source patch, so a rotated, zoomed patch has no empty corners', () => {
    const aug = new Augmenter({ rotation: { probability: 1, degrees: [-180, 180] }, scaling: { probability: 1, range: [0.7, 1.4] } }, [16, 16], 4);
    const [sx, sy] = aug.sourcePatchSize as [number, number];
    // The diagonal of the patch, zoomed out by 1.4: ≈ 15·√2·1.4 + 1 = 30.7 → 32 (an even margin).
    expect([sx, sy]).toEqual([32, 32]);
    const ones = batch([sx, sy], { B: 8 });
    ones.images.fill(1);
    ones.labels.fill(2);
    const out = aug.augment(ones);
    expect(out.imageShape).toEqual([8, 16, 16, 1]);
    expect(Math.min(...out.images)).toBeCloseTo(1, 5);
    expect(new Set(out.labels)).toEqual(new Set([2]));
    // 3D anisotropic patch: nnU-Net's in-plane ("dummy 2D") rotation about the thick axis, no growth along it.
    const thin = new Augmenter('default', [32, 32, 8]);
    expect(thin.transforms.rotation).toEqual({ probability: 0.2, degrees: [-180, 180], axes: [2] });
    expect(thin.transforms.scaling?.axes).toEqual([0, 1]);
    expect(thin.sourcePatchSize[2]).toBe(8);
  });

  it('labels never take new values (the default pipeline with elastic deformation, 3D, several labels)', () => {
    const aug = new Augmenter({ base: 'default', elastic: { probability: 1 }, rotation: { probability: 1 }, scaling: { probability: 1 } }, [8, 8, 8], 2);
    const source = batch(aug.sourcePatchSize, { B: 3, C: 2 });
    const values = new Set(source.labels);
    const out = aug.augment(source);
    for (const v of new Set(out.labels)) expect(values.has(v)).toBe(true);
    expect(out.images.every(Number.isFinite)).toBe(true);
  });
});

describe('Augmenter: intensity transforms', () => {
  const stats = (a: Float32Array): { mean: number; std: number; min: number; max: number } => {
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    const std = Math.sqrt(a.reduce((s, v) => s + (v - mean) ** 2, 0) / (a.length - 1));
    return { mean, std, min: Math.min(...a), max: Math.max(...a) };
  };

  it('noise has a standard deviation in its range; labels untouched', () => {
    const b = batch([64, 64]);
    const out = augment({ noise: { probability: 1, sigma: [0.05, 0.05] } }, b);
    const diff = out.images.map((v, i) => v - b.images[i]!);
    expect(stats(diff).std).toBeGreaterThan(0.047);
    expect(stats(diff).std).toBeLessThan(0.053);
    expect(Array.from(out.labels)).toEqual(Array.from(b.labels));
  });

  it('gamma keeps mean and standard deviation (retainStats) or the range (without), inverted gamma too', () => {
    const b = batch([32, 32]);
    const before = stats(b.images);
    for (const key of ['gamma', 'invertedGamma'] as const) {
      const kept = stats(augment({ [key]: { probability: 1, range: [1.5, 1.5] } }, b).images);
      expect(kept.mean).toBeCloseTo(before.mean, 4);
      expect(kept.std).toBeCloseTo(before.std, 4);
      const raw = augment({ [key]: { probability: 1, range: [1.5, 1.5], retainStats: false } }, b).images;
      const r = stats(raw);
      expect(r.min).toBeCloseTo(before.min, 5);
      expect(r.max).toBeCloseTo(before.max, 5);
      // γ > 1 darkens the mid-range of the image (of the inverted image: brightens it).
      expect(key === 'gamma' ? r.mean < before.mean : r.mean > before.mean).toBe(true);
    }
  });

  it('brightness multiplies by a factor in range, contrast keeps the range, blur smooths each channel', () => {
    const b = batch([16, 16], { C: 2 });
    const bright = augment({ brightness: { probability: 1, range: [1.1, 1.2] } }, b).images;
    for (let i = 0; i < 8; i++) {
      const f = bright[i]! / b.images[i]!;
      expect(f).toBeGreaterThanOrEqual(1.1 - 1e-6);
      expect(f).toBeLessThanOrEqual(1.2 + 1e-6);
    }
    const c = stats(augment({ contrast: { probability: 1, range: [1.25, 1.25] } }, b).images);
    expect(c.min).toBeGreaterThanOrEqual(stats(b.images).min);
    expect(c.max).toBeLessThanOrEqual(stats(b.images).max);
    const blurred = augment({ blur: { probability: 1, channelProbability: 1 } }, b).images;
    expect(stats(blurred).std).toBeLessThan(stats(b.images).std * 0.8);
    // Low resolution at zoom 1 changes nothing; at zoom ½ it keeps a constant image and smooths noise.
    expect(Array.from(augment({ lowResolution: { probability: 1, channelProbability: 1, zoom: [1, 1] } }, b).images)).toEqual(Array.from(b.images));
    const coarse = augment({ lowResolution: { probability: 1, channelProbability: 1, zoom: [0.5, 0.5] } }, b).images;
    expect(stats(coarse).std).toBeLessThan(stats(b.images).std * 0.9);
    const flat = batch([16, 16, 4]);
    flat.images.fill(2.5);
    expect(new Set(augment({ lowResolution: { probability: 1, channelProbability: 1, zoom: [0.5, 0.5] } }, flat).images)).toEqual(new Set([2.5]));
  });
});

describe('Augmenter: probabilities, seeds, state', () => {
  it('applies each transform with its probability (2,000 patches)', () => {
    const b = batch([4, 4], { B: 2000 });
    b.labels.forEach((_, i) => (b.labels[i] = i % 16));
    const out = augment({ brightness: { probability: 0.3 }, mirror: { axes: [0], probability: 0.5 } }, b, 11);
    let brightened = 0;
    let mirrored = 0;
    for (let p = 0; p < 2000; p++) {
      const at = p * 16;
      // Brightness changes every value but moves none; mirroring moves rows (of labels 0..15) and changes none.
      const sortedIn = Array.from(b.images.subarray(at, at + 16)).sort();
      const sortedOut = Array.from(out.images.subarray(at, at + 16)).sort();
      if (sortedIn.some((v, i) => v !== sortedOut[i])) brightened++;
      if (out.labels[at] !== 0) mirrored++;
    }
    // Binomial standard deviations: 0.010 and 0.011.
    expect(brightened / 2000).toBeGreaterThan(0.27);
    expect(brightened / 2000).toBeLessThan(0.33);
    expect(mirrored / 2000).toBeGreaterThan(0.465);
    expect(mirrored / 2000).toBeLessThan(0.535);
  });

  it('is deterministic from its seed and resumes from its state', () => {
    const options: AugmentationConfigInput = { base: 'default', rotation: { probability: 0.7 }, noise: { probability: 0.5 } };
    const aug = new Augmenter(options, [12, 12], 5);
    const source = (): PatchBatch => batch(aug.sourcePatchSize, { B: 4, C: 2 });
    const first = aug.augment(source());
    const state = aug.getState();
    const second = aug.augment(source());
    const again = new Augmenter(options, [12, 12], 5);
    expect(Array.from(again.augment(source()).images)).toEqual(Array.from(first.images));
    again.setState(state);
    expect(Array.from(again.augment(source()).images)).toEqual(Array.from(second.images));
    expect(Array.from(new Augmenter(options, [12, 12], 6).augment(source()).images)).not.toEqual(Array.from(first.images));
  });

  it("'default' is nnU-Net v2's pipeline for the patch; 'none' and an empty object are off", () => {
    const t = new Augmenter('default', [64, 64]).transforms;
    expect(t).toEqual({
      imageInterpolation: 'linear',
      mirror: { probability: 0.5, axes: [0, 1] },
      rotation: { probability: 0.2, degrees: [-180, 180], axes: [2] },
      scaling: { probability: 0.2, range: [0.7, 1.4], synchronizeAxes: true, axes: [0, 1] },
      noise: { probability: 0.1, sigma: [0, 0.1] },
      blur: { probability: 0.2, sigma: [0.5, 1], channelProbability: 0.5 },
      brightness: { probability: 0.15, range: [0.75, 1.25] },
      contrast: { probability: 0.15, range: [0.75, 1.25], preserveRange: true },
      lowResolution: { probability: 0.25, zoom: [0.5, 1], channelProbability: 0.5, axes: [0, 1] },
      invertedGamma: { probability: 0.1, range: [0.7, 1.5], retainStats: true },
      gamma: { probability: 0.3, range: [0.7, 1.5], retainStats: true },
    });
    expect(new Augmenter('default', [64, 32]).transforms.rotation?.degrees).toEqual([-15, 15]);
    expect(new Augmenter('default', [32, 32, 32]).transforms.rotation).toEqual({ probability: 0.2, degrees: [-30, 30], axes: [0, 1, 2] });
    expect(new Augmenter({ base: 'default', gamma: { probability: 0 }, mirror: { axes: [1] } }, [8, 8]).transforms).toMatchObject({ mirror: { axes: [1] } });
    expect(new Augmenter({ base: 'default', gamma: { probability: 0 } }, [8, 8]).transforms.gamma).toBeUndefined();
    for (const off of ['none', {}] as const) {
      const aug = new Augmenter(off, [4, 4]);
      expect(aug.isIdentity).toBe(true);
      const b = batch([4, 4]);
      expect(aug.augment(b)).toBe(b);
    }
  });
});

describe('bad options are refused, naming them', () => {
  it('by the Augmenter', () => {
    expect(() => new Augmenter({ mirror: { axis: [0] } } as never, [4, 4])).toThrow(/mirror\.axis: unknown key/);
    expect(() => new Augmenter({ noise: { probability: 2 } }, [4, 4])).toThrow(/noise\.probability: Too big/);
    expect(() => new Augmenter({ gamma: { range: [1.5, 0.7] } }, [4, 4])).toThrow(/gamma\.range: must be \[lo, hi\] with 0 < lo <= hi/);
    expect(() => new Augmenter({ mirror: { axes: [2] } }, [4, 4])).toThrow(/mirror\.axes: must be axes of the 2D patch \(0\.\.1\); got \[2\]/);
    expect(() => new Augmenter('defualt' as never, [4, 4])).toThrow(/\(root\): Invalid input: expected object, received string/);
    expect(() => new Augmenter('default', [4, 4]).augment(batch([5, 5]))).toThrow(/batch patches are \[5, 5\], expected the source patch \[8, 8\]/);
  });

  it('by the training configuration, at their field', () => {
    const parse = (augmentation: unknown): unknown => parseTrainingConfig(tinyConfig({ augmentation } as never));
    expect(() => parse({ rotaton: {} })).toThrow(/augmentation\.rotaton: unknown key \(did you mean 'rotation'\?\)/);
    expect(() => parse({ blur: { sigma: [1] } })).toThrow(/augmentation\.blur\.sigma: Too small: expected array to have >=2 items; got \[1\]/);
    expect(() => parse({ scaling: { axes: [0, 2] } })).toThrow(/augmentation\.scaling\.axes: must be axes of the 2D patch/);
    expect(() => parse('defualt')).toThrow(/augmentation: Invalid input: expected object, received string; got 'defualt'/);
    expect(parseTrainingConfig(tinyConfig()).augmentation).toBeUndefined();
    expect(parseTrainingConfig(tinyConfig({ augmentation: 'default' })).augmentation).toMatchObject({ base: 'default' });
  });
});
