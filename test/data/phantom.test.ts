import { describe, expect, it } from 'vitest';
import { generatePhantom, LESION_SHAPES } from '../../src/data/index.js';

const FRACTIONS = [0.5, 0.05, 0.002, 0.0001];

describe('phantoms hit the requested foreground fraction within 10%', () => {
  const cases = ([2, 3] as const).flatMap((dims) =>
    LESION_SHAPES.flatMap((lesionShape) => FRACTIONS.map((fraction) => ({ dims, lesionShape, fraction }))),
  );
  it.each(cases)('$dims D $lesionShape at $fraction', ({ dims, lesionShape, fraction }) => {
    const size = dims === 2 ? 256 : 48;
    const p = generatePhantom({ dims, size, foregroundFraction: fraction, lesionShape, seed: 7 });
    let fg = 0;
    for (const v of p.label.data) if (v !== 0) fg++;
    const measured = fg / p.label.data.length;
    expect(Math.abs(measured - fraction) / fraction).toBeLessThan(0.1);
    expect(p.foregroundFraction).toBe(measured);
    expect(p.image.shape).toEqual(new Array(dims).fill(size));
    expect(p.image.datatype).toBe('float32');
    expect(p.label.datatype).toBe('uint8');
    expect(p.image.data.every(Number.isFinite)).toBe(true);
  });
});

describe('phantom properties', () => {
  it('is deterministic from its seed', () => {
    const a = generatePhantom({ dims: 3, size: 24, foregroundFraction: 0.01, lesionShape: 'punctate', seed: 5 });
    const b = generatePhantom({ dims: 3, size: 24, foregroundFraction: 0.01, lesionShape: 'punctate', seed: 5 });
    const c = generatePhantom({ dims: 3, size: 24, foregroundFraction: 0.01, lesionShape: 'punctate', seed: 6 });
    expect(Array.from(a.image.data)).toEqual(Array.from(b.image.data));
    expect(Array.from(a.label.data)).toEqual(Array.from(b.label.data));
    expect(Array.from(a.label.data)).not.toEqual(Array.from(c.label.data));
  });

  it('makes lesions brighter than the organ, with several classes and channels', () => {
    const p = generatePhantom({ dims: 2, size: 128, foregroundFraction: 0.05, classes: 3, channels: 2, seed: 2, noise: 0 });
    expect(p.classFractions).toHaveLength(4);
    p.classFractions.slice(1).forEach((f) => expect(f).toBeGreaterThan(0));
    expect(p.classFractions.slice(1).reduce((s, f) => s + f, 0)).toBeCloseTo(0.05, 3);
    expect(p.image.channels).toBe(2);
    const n = 128 * 128;
    let lesion = 0;
    let lesionN = 0;
    let other = 0;
    let otherN = 0;
    for (let i = 0; i < n; i++) {
      if (p.label.data[i] !== 0) {
        lesion += p.image.data[i]!;
        lesionN++;
      } else {
        other += p.image.data[i]!;
        otherN++;
      }
    }
    expect(lesion / lesionN).toBeGreaterThan((other / otherN) * 1.3);
  });

  it('elongated lesions are thin: most lesion voxels touch background', () => {
    const p = generatePhantom({ dims: 3, size: 48, foregroundFraction: 0.002, lesionShape: 'elongated', seed: 3 });
    const X = 48;
    let boundary = 0;
    let total = 0;
    for (let z = 1; z < X - 1; z++) {
      for (let y = 1; y < X - 1; y++) {
        for (let x = 1; x < X - 1; x++) {
          const i = x + X * (y + X * z);
          if (p.label.data[i] === 0) continue;
          total++;
          const nb = [i - 1, i + 1, i - X, i + X, i - X * X, i + X * X];
          if (nb.some((j) => p.label.data[j] === 0)) boundary++;
        }
      }
    }
    expect(boundary / total).toBeGreaterThan(0.6);
  });

  it('refuses impossible requests naming the option', () => {
    expect(() => generatePhantom({ dims: 2, size: 32, foregroundFraction: 0.0001 })).toThrow(
      /generatePhantom: foregroundFraction 0.0001 of 1024 voxels .* rounds to no voxel/,
    );
    expect(() => generatePhantom({ dims: 2, foregroundFraction: 0.9 })).toThrow(/foregroundFraction must be in \[0.0001, 0.5\], got 0.9/);
    expect(() => generatePhantom({ dims: 3, foregroundFraction: 0.1, lesionShape: 'blob' as 'blobs' })).toThrow(/did you mean 'blobs'/);
    expect(() => generatePhantom({ dims: 4 as 3, foregroundFraction: 0.1 })).toThrow(/dims must be 2 or 3, got 4/);
  });
});
