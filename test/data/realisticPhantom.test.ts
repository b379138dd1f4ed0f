import { describe, expect, it } from 'vitest';
import {
  caseFingerprint,
  datasetFingerprint,
  fromTargetGrid,
  generateRealisticPhantom,
  labelValues,
  orientationCodes,
  toTargetGrid,
  type Volume,
} from '../../src/data/index.js';

function dice(a: Volume, b: Volume, value: number): number {
  let inter = 0;
  let total = 0;
  for (let i = 0; i < a.data.length; i++) {
    const x = a.data[i] === value;
    const y = b.data[i] === value;
    total += Number(x) + Number(y);
    if (x && y) inter++;
  }
  return (2 * inter) / total;
}

const phantoms = [0, 1, 2].map((seed) => generateRealisticPhantom({ seed }));

describe('generateRealisticPhantom', () => {
  it('is deterministic from its seed and differs between seeds', () => {
    const again = generateRealisticPhantom({ seed: 1 });
    expect(Array.from(again.image.data)).toEqual(Array.from(phantoms[1]!.image.data));
    expect(again.image.affine).toEqual(phantoms[1]!.image.affine);
    expect(phantoms[0]!.image.shape).not.toEqual(phantoms[1]!.image.shape);
  });

  it.each([0, 1, 2])('seed %i: stored in its orientation, oblique, anisotropic, two modalities, two structures', (seed) => {
    const p = phantoms[seed]!;
    expect(orientationCodes(p.image.affine)).toBe(p.orientation);
    expect(p.image.channels).toBe(2);
    expect(p.image.datatype).toBe('int16');
    const [thick] = [p.image.spacing[p.sliceAxis]!];
    expect(thick / Math.min(...p.image.spacing)).toBeGreaterThan(2.4);
    // The thick axis is the voxel axis closest to S/I.
    const col = [0, 1, 2].map((r) => Math.abs(p.image.affine[r * 4 + p.sliceAxis]!));
    expect(col.indexOf(Math.max(...col))).toBe(2);
    for (let t = 0; t < 3; t++) {
      const c = [0, 1, 2].map((r) => p.image.affine[r * 4 + t]!);
      expect(Math.hypot(...c)).toBeCloseTo(p.image.spacing[t]!, 10);
    }
    expect(labelValues(p.label)).toEqual([0, 1, 2]);
  });

  it('contrasts differ between the modalities; zero outside the body; the bias field varies the organ', () => {
    const p = phantoms[0]!;
    const n = p.label.data.length;
    const mean = (c: number, value: number): number => {
      let s = 0;
      let k = 0;
      for (let i = 0; i < n; i++) if (p.label.data[i] === value) (s += p.image.data[c * n + i]!), k++;
      return s / k;
    };
    expect(mean(0, 2)).toBeLessThan(mean(0, 1));
    expect(mean(1, 2)).toBeGreaterThan(mean(1, 1));
    let zeros = 0;
    for (let i = 0; i < n; i++) if (p.image.data[i] === 0) zeros++;
    expect(zeros / n).toBeGreaterThan(0.05);
    const organ: number[] = [];
    for (let i = 0; i < n; i++) if (p.label.data[i] === 1) organ.push(p.image.data[i]!);
    organ.sort((a, b) => a - b);
    expect(organ[Math.floor(0.95 * organ.length)]! / organ[Math.floor(0.05 * organ.length)]!).toBeGreaterThan(1.15);
  });

  it('refuses a bad orientation or spacing', () => {
    expect(() => generateRealisticPhantom({ orientation: 'LPR' })).toThrow(
      "generateRealisticPhantom: orientation must be three letters naming each of R/L, A/P, S/I once (e.g. 'LPS'); got 'LPR'",
    );
    expect(() => generateRealisticPhantom({ spacing: [1, 0, 1] })).toThrow('generateRealisticPhantom: spacing must hold 3 positive finite numbers; got [1, 0, 1]');
  });
});

describe('the training grid and back on realistic phantoms', () => {
  const fingerprint = datasetFingerprint(phantoms.map((p, i) => caseFingerprint(`case${i}`, p.image, p.label)));

  it.each([0, 1, 2])('seed %i: resample → identity → resample back: Dice ≥ 0.99 per structure, on the source grid', (seed) => {
    const p = phantoms[seed]!;
    // ¾ of the finest spacing per RAS axis over the set: every case is up-sampled by a non-integer
    // factor, in-plane linear on one-hot, the thick axis by nearest (separately).
    const out = toTargetGrid(p.image, p.label, fingerprint.minSpacing.map((s) => 0.75 * s));
    expect(out.image.shape.every((n, a) => n > out.transform.reorientedShape[a]!)).toBe(true);
    expect(out.transform.separateAxis).toBe(2);
    expect(orientationCodes(out.image.affine)).toBe('RAS');
    const back = fromTargetGrid(out.label!, out.transform);
    expect(back.shape).toEqual(p.label.shape);
    expect(back.affine).toEqual(p.label.affine);
    expect(labelValues(back).every((v) => [0, 1, 2].includes(v))).toBe(true);
    for (const value of [1, 2]) expect(dice(back, p.label, value)).toBeGreaterThanOrEqual(0.99);
  });
});
