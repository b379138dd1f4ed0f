import { describe, expect, it } from 'vitest';
import { caseFingerprint, createVolume, datasetFingerprint } from '../../src/data/index.js';

// A PIR-stored case: voxel axis 0 runs posterior, 1 inferior, 2 right (a permutation of RAS with flips).
const PIR = [0, 0, 3, 0, -2, 0, 0, 0, 0, -1, 0, 0, 0, 0, 0, 1];

function makeCase(values: number[], labels: number[]): ReturnType<typeof caseFingerprint> {
  const shape = [4, 3, 2];
  const image = createVolume(Float32Array.from([...values, ...values.map((v) => 10 * v)]), shape, { channels: 2, spacing: [2, 1, 3], affine: PIR });
  const label = createVolume(Uint8Array.from(labels), shape, { spacing: [2, 1, 3], affine: PIR });
  return caseFingerprint('case', image, label);
}

describe('caseFingerprint', () => {
  const values = Array.from({ length: 24 }, (_, i) => (i % 4 === 0 ? 0 : i));
  const labels = Array.from({ length: 24 }, (_, i) => (i < 3 ? 1 : i === 23 ? 2 : 0));
  const fp = makeCase(values, labels);

  it('records shape and spacing in RAS axis order, the file orientation and label counts', () => {
    expect(fp.orientation).toBe('PIR');
    expect(fp.shape).toEqual([2, 4, 3]);
    expect(fp.spacing).toEqual([3, 2, 1]);
    expect([...fp.labelVoxels.entries()].sort()).toEqual([[0, 20], [1, 3], [2, 1]]);
  });

  it('keeps every foreground intensity per channel when there are few', () => {
    expect(Array.from(fp.foregroundSamples[0]!)).toEqual([0, 1, 2, 23]);
    expect(Array.from(fp.foregroundSamples[1]!)).toEqual([0, 10, 20, 230]);
  });

  it('samples with a seed when there are many, and measures the non-zero bounding box', () => {
    const shape = [10, 10, 10];
    const image = createVolume(Float32Array.from({ length: 1000 }, (_, i) => (i % 10 >= 2 && i % 10 < 7 ? i : 0)), shape);
    const label = createVolume(Uint8Array.from({ length: 1000 }, (_, i) => (i % 2)), shape);
    const a = caseFingerprint('a', image, label, { samples: 50, seed: 3 });
    const b = caseFingerprint('a', image, label, { samples: 50, seed: 3 });
    expect(a.foregroundSamples[0]!.length).toBe(50);
    expect(Array.from(a.foregroundSamples[0]!)).toEqual(Array.from(b.foregroundSamples[0]!));
    // Non-zero where x is in 2..6 (x = i % 10): a box of 5 × 10 × 10.
    expect(a.relativeSizeAfterCrop).toBeCloseTo(0.5, 10);
    expect(() => caseFingerprint('bad', image, createVolume(new Uint8Array(8), [2, 2, 2]))).toThrow(
      "caseFingerprint: bad: label [2, 2, 2] × 1 must have the image's shape [10, 10, 10] and one channel",
    );
  });
});

describe('datasetFingerprint', () => {
  const values = Array.from({ length: 24 }, (_, i) => i);
  const one = makeCase(values, Array.from({ length: 24 }, (_, i) => (i < 4 ? 1 : 0)));
  const two = { ...makeCase(values, Array.from({ length: 24 }, (_, i) => (i >= 20 ? 2 : 0))), id: 'two', shape: [4, 4, 4], spacing: [1, 1, 1] };
  const fp = datasetFingerprint([one, two], { name: 'demo', modalities: ['T1', 'T2'], labels: new Map([[0, 'background'], [1, 'left'], [2, 'right'], [3, 'absent']]) });

  it('medians, extremes and per-case geometry', () => {
    expect(fp.dims).toBe(3);
    expect(fp.medianShape).toEqual([3, 4, 3.5]);
    expect(fp.medianSpacing).toEqual([2, 1.5, 1]);
    expect(fp.minSpacing).toEqual([1, 1, 1]);
    expect(fp.maxSpacing).toEqual([3, 2, 1]);
    expect(fp.cases.map((c) => c.id)).toEqual(['case', 'two']);
  });

  it('intensity statistics of the pooled foreground samples per modality', () => {
    // Channel 0 foreground: 0, 1, 2, 3 (case one) and 20..23 (case two).
    const pooled = [0, 1, 2, 3, 20, 21, 22, 23];
    const mean = pooled.reduce((a, b) => a + b, 0) / 8;
    const sd = Math.sqrt(pooled.reduce((a, b) => a + (b - mean) ** 2, 0) / 8);
    const t1 = fp.intensities[0]!;
    expect(t1.name).toBe('T1');
    expect(t1.samples).toBe(8);
    expect(t1.mean).toBeCloseTo(mean, 10);
    expect(t1.sd).toBeCloseTo(sd, 10);
    expect([t1.min, t1.max, t1.median]).toEqual([0, 23, 11.5]);
    expect(t1.percentile00_5).toBeCloseTo(0 + 0.005 * 7, 10);
    expect(t1.percentile99_5).toBeCloseTo(23 - 0.005 * 7, 10);
    expect(fp.intensities[1]!.mean).toBeCloseTo(10 * mean, 8);
  });

  it('label shares with names, counting an absent label as 0 voxels in 0 cases', () => {
    expect(fp.labels).toEqual([
      { value: 0, name: 'background', voxels: 40, share: 40 / 48, cases: 2 },
      { value: 1, name: 'left', voxels: 4, share: 4 / 48, cases: 1 },
      { value: 2, name: 'right', voxels: 4, share: 4 / 48, cases: 1 },
      { value: 3, name: 'absent', voxels: 0, share: 0, cases: 0 },
    ]);
  });

  it('refuses no cases and mixed channel counts', () => {
    expect(() => datasetFingerprint([])).toThrow('datasetFingerprint: no cases');
    expect(() => datasetFingerprint([one, { ...two, channels: 1 }])).toThrow(
      'datasetFingerprint: case two has 3 dimensions and 1 channel(s), case case 3 and 2',
    );
  });
});
