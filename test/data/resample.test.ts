import { describe, expect, it } from 'vitest';
import {
  createVolume,
  labelValues,
  resampledAffine,
  resampleImage,
  resampleLabels,
  sourceCoordinate,
  voxelsPerChannel,
} from '../../src/data/index.js';

const OBLIQUE = [0.7, -0.2, 0.1, 5, 0.15, 0.75, -0.3, -7, 0.05, 0.6, 3.9, 11, 0, 0, 0, 1];

function apply(affine: readonly number[], p: readonly number[]): number[] {
  return [0, 1, 2].map((r) => affine[r * 4]! * p[0]! + affine[r * 4 + 1]! * p[1]! + affine[r * 4 + 2]! * p[2]! + affine[r * 4 + 3]!);
}

function fill(shape: number[], f: (i: number, j: number, k: number) => number): Float32Array {
  const [X, Y, Z] = shape as [number, number, number];
  const out = new Float32Array(X * Y * Z);
  for (let k = 0; k < Z; k++) for (let j = 0; j < Y; j++) for (let i = 0; i < X; i++) out[i + X * (j + Y * k)] = f(i, j, k);
  return out;
}

describe('resampledAffine and sourceCoordinate', () => {
  it('maps every output voxel centre to the world point of its source coordinate (oblique affine)', () => {
    const from = [10, 12, 5];
    const to = [23, 7, 16];
    const a2 = resampledAffine(OBLIQUE, from, to);
    for (const o of [[0, 0, 0], [22, 6, 15], [11, 3, 7]]) {
      const s = o.map((v, a) => sourceCoordinate(v, from[a]!, to[a]!));
      const want = apply(OBLIQUE, s);
      const got = apply(a2, o);
      for (let r = 0; r < 3; r++) expect(got[r]).toBeCloseTo(want[r]!, 10);
    }
  });

  it('keeps the outer voxel edges: edge of voxel -½ maps to the same world point', () => {
    const a2 = resampledAffine(OBLIQUE, [10, 10, 4], [20, 5, 16]);
    const want = apply(OBLIQUE, [-0.5, -0.5, -0.5]);
    const got = apply(a2, [-0.5, -0.5, -0.5]);
    for (let r = 0; r < 3; r++) expect(got[r]).toBeCloseTo(want[r]!, 10);
    const wantFar = apply(OBLIQUE, [9.5, 9.5, 3.5]);
    const gotFar = apply(a2, [19.5, 4.5, 15.5]);
    for (let r = 0; r < 3; r++) expect(gotFar[r]).toBeCloseTo(wantFar[r]!, 10);
  });
});

describe('resampleImage', () => {
  const shape = [9, 8, 6];
  const spacing = [1, 1.5, 2];

  it('linear reproduces a linear ramp inside the volume and sets spacing from the extent', () => {
    const ramp = (i: number, j: number, k: number): number => 2 * i - 3 * j + 0.5 * k + 1;
    const v = createVolume(fill(shape, ramp), shape, { spacing });
    const to = [18, 12, 15];
    const r = resampleImage(v, to, { interpolation: 'linear' });
    expect(r.datatype).toBe('float32');
    expect(r.spacing).toEqual([0.5, 1, 0.8]);
    for (let k = 3; k < to[2]! - 3; k++)
      for (let j = 2; j < to[1]! - 2; j++)
        for (let i = 2; i < to[0]! - 2; i++) {
          const s = [i, j, k].map((o, a) => sourceCoordinate(o, shape[a]!, to[a]!));
          expect(r.data[i + to[0]! * (j + to[1]! * k)]).toBeCloseTo(ramp(s[0]!, s[1]!, s[2]!), 4);
        }
  });

  it('cubic reproduces a quadratic inside the volume (Keys kernel), linear does not', () => {
    const quad = (i: number, j: number, k: number): number => 0.3 * i * i - 0.2 * j * j + 0.1 * k * k + i * j;
    const big = [16, 16, 16];
    const v = createVolume(fill(big, quad), big);
    const to = [24, 20, 12];
    const cubic = resampleImage(v, to);
    const linear = resampleImage(v, to, { interpolation: 'linear' });
    let cubicErr = 0;
    let linearErr = 0;
    for (let k = 3; k < to[2]! - 3; k++)
      for (let j = 4; j < to[1]! - 4; j++)
        for (let i = 4; i < to[0]! - 4; i++) {
          const s = [i, j, k].map((o, a) => sourceCoordinate(o, big[a]!, to[a]!));
          const want = quad(s[0]!, s[1]!, s[2]!);
          const at = i + to[0]! * (j + to[1]! * k);
          cubicErr = Math.max(cubicErr, Math.abs(cubic.data[at]! - want));
          linearErr = Math.max(linearErr, Math.abs(linear.data[at]! - want));
        }
    expect(cubicErr).toBeLessThan(1e-3);
    expect(linearErr).toBeGreaterThan(0.01);
  });

  it('is the identity at the same shape, for every channel', () => {
    const data = Float32Array.from({ length: 2 * voxelsPerChannel(shape) }, (_, i) => Math.sin(i));
    const v = createVolume(data, shape, { channels: 2, spacing, affine: OBLIQUE });
    const r = resampleImage(v, shape);
    expect(Array.from(r.data)).toEqual(Array.from(data));
    expect(r.affine).toEqual(OBLIQUE);
  });

  it('along the separate axis takes whole source slices (nearest), in-plane interpolates', () => {
    const v = createVolume(fill(shape, (i, _j, k) => i + 100 * k), shape, { spacing: [1, 1, 5] });
    const to = [12, 8, 17];
    const offsetsOf = (r: ReturnType<typeof resampleImage>): number[] => {
      const out: number[] = [];
      for (let k = 0; k < to[2]!; k++)
        for (let i = 0; i < to[0]!; i++) {
          const x = Math.min(8, Math.max(0, sourceCoordinate(i, 9, 12)));
          out.push((r.data[i + to[0]! * to[1]! * k]! - x) / 100);
        }
      return out;
    };
    const separate = offsetsOf(resampleImage(v, to, { separateAxis: 2, interpolation: 'linear' }));
    for (const z of separate) expect(Math.abs(z - Math.round(z))).toBeLessThan(1e-4);
    // Without the separate axis the same image gets values between slices.
    const smooth = offsetsOf(resampleImage(v, to, { interpolation: 'linear' }));
    expect(smooth.filter((z) => Math.abs(z - Math.round(z)) > 0.05).length).toBeGreaterThan(0);
  });

  it.each([
    [{ interpolation: 'cubc' }, /resampleImage: interpolation must be one of 'nearest', 'linear', 'cubic'; got 'cubc'/],
    [{ separateAxis: 3 }, /resampleImage: separateAxis must be undefined or an integer in \[0, 2\], got 3/],
  ])('refuses %j', (options, message) => {
    const v = createVolume(new Float32Array(voxelsPerChannel(shape)), shape);
    expect(() => resampleImage(v, shape, options as never)).toThrow(message);
  });

  it('refuses a shape of the wrong rank or with a zero', () => {
    const v = createVolume(new Float32Array(voxelsPerChannel(shape)), shape);
    expect(() => resampleImage(v, [4, 4])).toThrow('resampleImage: shape must hold 3 positive integers, got [4, 4]');
    expect(() => resampleImage(v, [4, 0, 4])).toThrow('resampleImage: shape must hold 3 positive integers, got [4, 0, 4]');
  });
});

describe('resampleLabels', () => {
  const shape = [12, 10, 6];
  const labels = fill(shape, (i, j, k) => ((i - 6) ** 2 + (j - 5) ** 2 < 10 ? 7 : k > 3 && i < 4 ? 3 : 0));
  const v = createVolume(Uint8Array.from(labels), shape, { spacing: [1, 1, 3] });

  it.each(['nearest', 'linear-onehot'] as const)('%s creates no label value and keeps the datatype', (interpolation) => {
    for (const to of [[25, 7, 17], [5, 21, 3], [12, 10, 6]]) {
      const r = resampleLabels(v, to, { interpolation, separateAxis: 2 });
      expect(r.datatype).toBe('uint8');
      expect(labelValues(r).every((x) => [0, 3, 7].includes(x))).toBe(true);
    }
  });

  it('is the identity at the same shape', () => {
    const r = resampleLabels(v, shape);
    expect(Array.from(r.data)).toEqual(Array.from(v.data));
  });

  it('linear-onehot upsampling by 2 then nearest downsampling returns the labels', () => {
    const up = resampleLabels(v, [24, 20, 12]);
    const down = resampleLabels(up, shape, { interpolation: 'nearest' });
    let same = 0;
    for (let i = 0; i < v.data.length; i++) if (down.data[i] === v.data[i]) same++;
    expect(same / v.data.length).toBeGreaterThan(0.97);
  });

  it('refuses values outside the given label set, and several channels', () => {
    expect(() => resampleLabels(v, shape, { labels: [0, 7] })).toThrow('resampleLabels: label values [3] are not in labels [0, 7]');
    const two = createVolume(new Uint8Array(2 * voxelsPerChannel(shape)), shape, { channels: 2 });
    expect(() => resampleLabels(two, shape)).toThrow('resampleLabels: a label map has one channel, got 2');
    expect(() => resampleLabels(v, shape, { interpolation: 'linear' as never })).toThrow(
      "resampleLabels: interpolation must be one of 'nearest', 'linear-onehot'; got 'linear'",
    );
  });
});
