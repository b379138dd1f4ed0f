import { describe, expect, it } from 'vitest';
import {
  estimateTrainingBytes,
  planFromFingerprint,
  poolingTopology,
  targetSpacingFor,
  type DatasetFingerprint,
  type ModalityStatistics,
} from '../../src/data/index.js';

function stats(name: string, mean: number, sd: number, lo: number, hi: number): ModalityStatistics {
  return { name, samples: 1000, mean, sd, median: mean, min: lo - 1, max: hi + 1, percentile00_5: lo, percentile99_5: hi };
}

/** A fingerprint with these per-case shapes and spacings (RAS order). */
function fingerprint(shapes: number[][], spacings: number[][], extra: Partial<DatasetFingerprint> = {}): DatasetFingerprint {
  const median = (v: number[]): number => {
    const s = [...v].sort((a, b) => a - b);
    const m = (s.length - 1) / 2;
    return (s[Math.floor(m)]! + s[Math.ceil(m)]!) / 2;
  };
  const dims = shapes[0]!.length;
  const axis = (rows: number[][], a: number): number[] => rows.map((r) => r[a]!);
  return {
    version: 1,
    name: 'test',
    dims,
    modalities: ['T2'],
    cases: shapes.map((shape, i) => ({ id: `c${i}`, orientation: 'RAS', shape, spacing: spacings[i]!, relativeSizeAfterCrop: 1 })),
    medianShape: Array.from({ length: dims }, (_, a) => median(axis(shapes, a))),
    medianSpacing: Array.from({ length: dims }, (_, a) => median(axis(spacings, a))),
    minSpacing: Array.from({ length: dims }, (_, a) => Math.min(...axis(spacings, a))),
    maxSpacing: Array.from({ length: dims }, (_, a) => Math.max(...axis(spacings, a))),
    medianRelativeSizeAfterCrop: 1,
    intensities: [stats('T2', 300, 80, 20, 700)],
    labels: [
      { value: 0, name: 'background', voxels: 990, share: 0.99, cases: 4 },
      { value: 1, name: 'a', voxels: 8, share: 0.008, cases: 4 },
      { value: 2, name: 'b', voxels: 2, share: 0.002, cases: 3 },
    ],
    ...extra,
  };
}

const iso = fingerprint(
  [[160, 170, 150], [150, 160, 140], [170, 180, 160], [140, 150, 130]],
  [[1, 1, 1], [1, 1, 1.1], [0.9, 1, 1], [1, 1, 1]],
);
const aniso = fingerprint(
  [[320, 320, 24], [300, 300, 20], [340, 330, 30], [310, 320, 26]],
  [[0.8, 0.8, 5], [0.75, 0.75, 6], [0.8, 0.8, 4], [0.82, 0.82, 5]],
);

describe('targetSpacingFor (nnU-Net)', () => {
  it('the median spacing for isotropic data', () => {
    expect(targetSpacingFor(iso)).toEqual([1, 1, 1]);
  });

  it('thick slices with few voxels: the 10th percentile of that axis', () => {
    // z spacings 4, 5, 5, 6: p10 = 4 + 0.3·1 = 4.3; in-plane the median.
    const t = targetSpacingFor(aniso);
    expect(t[0]).toBeCloseTo(0.8, 10);
    expect(t[1]).toBeCloseTo(0.8, 10);
    expect(t[2]).toBeCloseTo(4.3, 10);
  });

  it('anisotropic spacing but as many voxels along the thick axis: the median', () => {
    const many = fingerprint([[100, 100, 200], [100, 100, 200]], [[1, 1, 4], [1, 1, 6]]);
    expect(targetSpacingFor(many)).toEqual([1, 1, 5]);
  });

  it('never finer than the other axes: their largest + 1e-5', () => {
    const odd = fingerprint([[300, 300, 10], [300, 300, 10], [300, 300, 10]], [[1, 1, 0.5], [1, 1, 10], [1, 1, 10]]);
    // median z 10 > 3·1 and 10·3 < 300, p10 of [0.5, 10, 10] = 2.4 ≥ 1: kept.
    expect(targetSpacingFor(odd)[2]).toBeCloseTo(2.4, 10);
    // With two of five cases at 0.5 mm the 10th percentile (0.5) is finer than in-plane (2): clamped.
    const clamp = fingerprint([[300, 300, 10], [300, 300, 10], [300, 300, 10], [300, 300, 10], [300, 300, 10]], [[2, 2, 0.5], [2, 2, 0.5], [2, 2, 10], [2, 2, 10], [2, 2, 10]]);
    expect(targetSpacingFor(clamp)[2]).toBeCloseTo(2 + 1e-5, 10);
  });
});

describe('poolingTopology (nnU-Net)', () => {
  it('isotropic: pool every axis at every level, 5 times at most', () => {
    const t = poolingTopology([1, 1, 1], [128, 128, 128]);
    expect(t.poolingsPerAxis).toEqual([5, 5, 5]);
    expect(t.strides).toEqual(new Array(5).fill([2, 2, 2]));
    expect(t.divisibleBy).toEqual([32, 32, 32]);
    expect(t.convKernels).toEqual(new Array(6).fill([3, 3, 3]));
  });

  it('0.8 × 0.8 × 4.3: no pooling along z until its spacing is within 2× of the finest; kernels 1 along z until then', () => {
    const t = poolingTopology([0.8, 0.8, 4.3], [192, 160, 32]);
    expect(t.strides).toEqual([[2, 2, 1], [2, 2, 1], [2, 2, 2], [2, 2, 2], [2, 2, 2]]);
    expect(t.poolingsPerAxis).toEqual([5, 5, 3]);
    expect(t.divisibleBy).toEqual([32, 32, 8]);
    expect(t.convKernels.slice(0, 3)).toEqual([[3, 3, 1], [3, 3, 1], [3, 3, 3]]);
    expect(t.patchSize).toEqual([192, 160, 32]);
  });

  it('stops at feature maps of 4 (a lone axis needs 12), and rounds the patch up', () => {
    const t = poolingTopology([1, 1, 1], [40, 20, 9]);
    // 40×20×9 → 20×10×5 → 10×5×5; then x alone would pool, which needs an extent of 3·4 = 12.
    expect(t.poolingsPerAxis).toEqual([2, 2, 1]);
    expect(t.patchSize).toEqual([40, 20, 10]);
  });
});

describe('planFromFingerprint', () => {
  it('isotropic MRI: patch and batch fit the budget, the patch suits the topology, z-score', () => {
    const plan = planFromFingerprint(iso, { memoryBudgetMiB: 1024 });
    expect(plan.network.name).toBe('unet3d');
    expect(plan.memory.estimatedBytes).toBeLessThanOrEqual(plan.memory.budgetBytes);
    expect(plan.batchSize).toBeGreaterThanOrEqual(2);
    plan.patchSize.forEach((p, a) => expect(p % plan.network.divisibleBy[a]!).toBe(0));
    expect(plan.patchSize.every((p, a) => p <= plan.medianShape[a]!)).toBe(true);
    expect(plan.network.depth).toBe(plan.network.strides.length);
    expect(plan.normalization).toEqual([{ modality: 'T2', scheme: 'zscore' }]);
    expect(plan.classes).toBe(3);
    // One more patch of this size does not fit: the batch is the largest that does (or the 5 % cap).
    const perPatch = estimateTrainingBytes(plan.patchSize, plan.network, { inputChannels: 1, classes: 3, baseFilters: 16, maxFilters: 320, batchSize: 1 });
    expect(perPatch * (plan.batchSize + 1) > plan.memory.budgetBytes || plan.batchSize * plan.patchSize.reduce((a, b) => a * b, 1) >= 0.045 * 4 * 150 ** 3).toBe(true);
  });

  it('a larger budget gives a patch at least as large', () => {
    const small = planFromFingerprint(iso, { memoryBudgetMiB: 256 });
    const large = planFromFingerprint(iso, { memoryBudgetMiB: 4096 });
    const vol = (p: number[]): number => p.reduce((a, b) => a * b, 1);
    expect(vol(large.patchSize)).toBeGreaterThan(vol(small.patchSize));
  });

  it('anisotropic 0.8 × 0.8 × 5: thick-axis target spacing, in-plane pooling first, patch elongated in-plane', () => {
    const plan = planFromFingerprint(aniso);
    expect(plan.targetSpacing[2]).toBeCloseTo(4.3, 10);
    expect(plan.network.strides[0]).toEqual([2, 2, 1]);
    expect(plan.network.convKernels[0]).toEqual([3, 3, 1]);
    expect(plan.patchSize[0]!).toBeGreaterThan(2 * plan.patchSize[2]!);
    expect(plan.memory.estimatedBytes).toBeLessThanOrEqual(plan.memory.budgetBytes);
  });

  it('CT: clip to the foreground 0.5/99.5 percentiles and the dataset mean and sd; MRI cropped a lot: nonzero mask', () => {
    const ct = planFromFingerprint({ ...iso, modalities: ['CT'], intensities: [stats('CT', 60, 40, -90, 250)] });
    expect(ct.normalization).toEqual([{ modality: 'CT', scheme: 'ct', statistics: { mean: 60, sd: 40, lower: -90, upper: 250 } }]);
    const cropped = planFromFingerprint({ ...iso, medianRelativeSizeAfterCrop: 0.5 });
    expect(cropped.useNonzeroMask).toBe(true);
    expect(cropped.normalization[0]!.scheme).toBe('zscore-nonzero');
  });

  it('every derived field can be overridden', () => {
    const plan = planFromFingerprint(iso, { targetSpacing: [2, 2, 2], patchSize: [40, 48, 56], batchSize: 3, normalization: ['none'] });
    expect(plan.targetSpacing).toEqual([2, 2, 2]);
    expect(plan.medianShape).toEqual([76, 83, 76]);
    expect(plan.patchSize).toEqual([40, 48, 56]);
    expect(plan.batchSize).toBe(3);
    expect(plan.normalization[0]!.scheme).toBe('none');
  });

  it.each([
    [{ memoryBudgetMiB: 0 }, 'planFromFingerprint: memoryBudgetMiB must be a finite number > 0, got 0'],
    [{ patchSize: [64, 64] }, 'planFromFingerprint: patchSize must hold 3 positive integers, got [64, 64]'],
    [{ batchSize: 1.5 }, 'planFromFingerprint: batchSize must be a positive integer, got 1.5'],
    [{ targetSpacing: [1, Number.NaN, 1] }, 'planFromFingerprint: targetSpacing must hold 3 positive finite numbers, got [1, NaN, 1]'],
    [{ normalization: ['zscor'] }, "planFromFingerprint: normalization[0] must be one of 'zscore', 'zscore-nonzero', 'ct', 'none'; got 'zscor'"],
  ])('refuses %j', (options, message) => {
    expect(() => planFromFingerprint(iso, options as never)).toThrow(message);
  });
});
