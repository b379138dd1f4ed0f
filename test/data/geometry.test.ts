import { describe, expect, it } from 'vitest';
import {
  createVolume,
  fromTargetGrid,
  labelValues,
  orientationCodes,
  separateAxisFor,
  targetShapeFor,
  toTargetGrid,
  type Volume,
} from '../../src/data/index.js';

/** Rotation about z by `a` then about x by `b` (radians), times a diagonal of signs and spacings. */
function obliqueAffine(spacing: number[], signs: number[], a: number, b: number, offset: number[]): number[] {
  const rz = [Math.cos(a), -Math.sin(a), 0, Math.sin(a), Math.cos(a), 0, 0, 0, 1];
  const rx = [1, 0, 0, 0, Math.cos(b), -Math.sin(b), 0, Math.sin(b), Math.cos(b)];
  const m = (p: number[], q: number[]): number[] =>
    [0, 1, 2].flatMap((r) => [0, 1, 2].map((c) => p[r * 3]! * q[c]! + p[r * 3 + 1]! * q[3 + c]! + p[r * 3 + 2]! * q[6 + c]!));
  const d = m(rz, rx);
  const out = new Array<number>(16).fill(0);
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) out[r * 4 + c] = d[r * 3 + c]! * signs[c]! * spacing[c]!;
    out[r * 4 + 3] = offset[r]!;
  }
  out[15] = 1;
  return out;
}

function world(affine: readonly number[], i: number, j: number, k: number): number[] {
  return [0, 1, 2].map((r) => affine[r * 4]! * i + affine[r * 4 + 1]! * j + affine[r * 4 + 2]! * k + affine[r * 4 + 3]!);
}

/** Two structures defined in world mm, sampled on the volume's grid; the image is a smooth world function. */
function worldPhantom(shape: number[], spacing: number[], affine: number[]): { image: Volume; label: Volume } {
  const [X, Y, Z] = shape as [number, number, number];
  const label = new Uint8Array(X * Y * Z);
  const image = new Int16Array(X * Y * Z);
  const centre = world(affine, (X - 1) / 2, (Y - 1) / 2, (Z - 1) / 2);
  for (let k = 0, at = 0; k < Z; k++)
    for (let j = 0; j < Y; j++)
      for (let i = 0; i < X; i++, at++) {
        const p = world(affine, i, j, k).map((v, r) => v - centre[r]!);
        const e1 = (p[0]! / 9) ** 2 + (p[1]! / 7) ** 2 + (p[2]! / 12) ** 2;
        const e2 = ((p[0]! - 6) / 3.5) ** 2 + ((p[1]! + 3) / 3) ** 2 + ((p[2]! - 4) / 6) ** 2;
        label[at] = e2 < 1 ? 2 : e1 < 1 ? 1 : 0;
        image[at] = Math.round(100 + 50 * Math.sin(p[0]! / 7) + 30 * Math.cos(p[2]! / 9) + 40 * label[at]!);
      }
  return { image: createVolume(image, shape, { spacing, affine }), label: createVolume(label, shape, { spacing, affine }) };
}

function dice(a: Volume, b: Volume, value: number): number {
  let inter = 0;
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < a.data.length; i++) {
    const x = a.data[i] === value;
    const y = b.data[i] === value;
    if (x) sa++;
    if (y) sb++;
    if (x && y) inter++;
  }
  return (2 * inter) / (sa + sb);
}

function centroid(v: Volume, value: number): number[] {
  const [X, Y] = v.shape as [number, number];
  const sum = [0, 0, 0];
  let n = 0;
  for (let at = 0; at < v.data.length; at++) {
    if (v.data[at] !== value) continue;
    const p = world(v.affine, at % X, Math.floor(at / X) % Y, Math.floor(at / (X * Y)));
    for (let r = 0; r < 3; r++) sum[r]! += p[r]!;
    n++;
  }
  return sum.map((s) => s / n);
}

describe('targetShapeFor and separateAxisFor', () => {
  it('rounds the physical extent to the target spacing', () => {
    expect(targetShapeFor([40, 36, 10], [0.8, 0.8, 4], [0.6, 0.6, 1.5])).toEqual([53, 48, 27]);
    expect(targetShapeFor([3, 3, 1], [1, 1, 1], [10, 10, 10])).toEqual([1, 1, 1]);
    expect(() => targetShapeFor([3, 3, 3], [1, 1, 1], [1, 0, 1])).toThrow('targetShapeFor: targetSpacing must hold 3 positive finite numbers, got [1, 0, 1]');
  });

  it.each([
    [[0.8, 0.8, 5], [0.8, 0.8, 5], 2],
    [[1, 1, 1], [1, 1, 1], undefined],
    [[1, 1, 2.9], [1, 1, 2.9], undefined],
    [[5, 0.8, 0.8], [1, 1, 1], 0],
    [[1, 1, 1], [1, 4, 1], 1],
    [[4, 4, 1], [4, 4, 1], undefined],
    [[1, 1], [1, 5], undefined],
  ])('spacing %j, target %j: separate axis %s', (spacing, target, axis) => {
    expect(separateAxisFor(spacing, target)).toBe(axis);
  });
});

describe('toTargetGrid and fromTargetGrid on an oblique, anisotropic LPS volume', () => {
  const shape = [40, 36, 10];
  const spacing = [0.8, 0.8, 4];
  const affine = obliqueAffine(spacing, [-1, -1, 1], 0.17, 0.09, [12, -8, 30]);
  const { image, label } = worldPhantom(shape, spacing, affine);
  const target = [0.6, 0.6, 1.5];
  const out = toTargetGrid(image, label, target);

  it('source is LPS; the training grid is RAS, at the target spacing, still oblique, thick axis separate', () => {
    expect(orientationCodes(affine)).toBe('LPS');
    expect(orientationCodes(out.image.affine)).toBe('RAS');
    expect(out.transform.separateAxis).toBe(2);
    expect(out.image.shape).toEqual([53, 48, 27]);
    out.image.spacing.forEach((s, a) => expect(Math.abs(s - target[a]!) / target[a]!).toBeLessThan(0.02));
    for (let c = 0; c < 3; c++) {
      const col = [out.image.affine[c]!, out.image.affine[4 + c]!, out.image.affine[8 + c]!];
      expect(Math.hypot(...col)).toBeCloseTo(out.image.spacing[c]!, 10);
    }
    expect(Math.abs(out.image.affine[1]!)).toBeGreaterThan(0.05);
  });

  it('structures stay where they are in the world (centroids within half a voxel)', () => {
    for (const value of [1, 2]) {
      const before = centroid(label, value);
      const after = centroid(out.label!, value);
      expect(Math.hypot(...before.map((v, r) => v - after[r]!))).toBeLessThan(0.5);
    }
    expect(labelValues(out.label!)).toEqual([0, 1, 2]);
  });

  it('a prediction equal to the resampled labels lands on the source grid with Dice ≥ 0.99', () => {
    const back = fromTargetGrid(out.label!, out.transform);
    expect(back.shape).toEqual(shape);
    expect(back.affine).toEqual(affine);
    expect(back.spacing).toEqual(spacing);
    expect(labelValues(back).every((v) => [0, 1, 2].includes(v))).toBe(true);
    for (const value of [1, 2]) expect(dice(back, label, value)).toBeGreaterThanOrEqual(0.99);
  });

  it('probabilities go back with every channel on the source grid', () => {
    const C = 3;
    const n = out.label!.data.length;
    const probs = new Float32Array(n * C);
    for (let i = 0; i < n; i++) probs[out.label!.data[i]! * n + i] = 1;
    const back = fromTargetGrid(
      createVolume(probs, out.label!.shape, { channels: C, spacing: out.label!.spacing, affine: out.label!.affine }),
      out.transform,
      { kind: 'probabilities' },
    );
    expect(back.shape).toEqual(shape);
    expect(back.channels).toBe(C);
    expect(back.affine).toEqual(affine);
    const m = shape.reduce((a, b) => a * b, 1);
    for (let i = 0; i < m; i += 97) {
      let s = 0;
      for (let c = 0; c < C; c++) s += back.data[c * m + i]!;
      expect(s).toBeCloseTo(1, 5);
    }
  });

  it('refuses a prediction of another shape, a label of another shape, a bad kind', () => {
    const small = createVolume(new Uint8Array(8), [2, 2, 2]);
    expect(() => fromTargetGrid(small, out.transform)).toThrow('fromTargetGrid: prediction shape [2, 2, 2] differs from the target grid [53, 48, 27]');
    expect(() => toTargetGrid(image, small, target)).toThrow('toTargetGrid: label shape [2, 2, 2] differs from image shape [40, 36, 10]');
    expect(() => fromTargetGrid(out.label!, out.transform, { kind: 'label' as never })).toThrow(
      "fromTargetGrid: kind must be one of 'labels', 'probabilities'; got 'label'",
    );
  });
});

describe('toTargetGrid on a 2D image', () => {
  it('reorients within the plane, resamples both axes, and comes back exactly', () => {
    const shape = [30, 20];
    const affine = [-0.5, 0, 0, 10, 0, -1.5, 0, 4, 0, 0, 1, 0, 0, 0, 0, 1];
    const data = new Uint8Array(600).map((_, i) => (((i % 30) - 15) ** 2 / 64 + (Math.floor(i / 30) - 10) ** 2 / 36 < 1 ? 1 : 0));
    const label = createVolume(data, shape, { spacing: [0.5, 1.5], affine });
    const image = createVolume(Float32Array.from(data, (v) => 100 * v + 5), shape, { spacing: [0.5, 1.5], affine });
    const out = toTargetGrid(image, label, [0.25, 0.5]);
    expect(out.image.shape).toEqual([60, 60]);
    expect(out.transform.separateAxis).toBeUndefined();
    expect(orientationCodes(out.image.affine).slice(0, 2)).toBe('RA');
    const back = fromTargetGrid(out.label!, out.transform);
    expect(back.shape).toEqual(shape);
    expect(back.affine).toEqual(affine);
    expect(dice(back, label, 1)).toBeGreaterThanOrEqual(0.99);
  });
});
