import { describe, expect, it } from 'vitest';
import { createVolume, encodeNifti, NiftiError, parseNifti } from '../../src/data/index.js';

/**
 * scl_slope / scl_inter by nibabel's rule (Nifti1Header.get_slope_inter): a zero or non-finite slope means
 * no scaling, whatever the intercept; a valid slope with a non-finite intercept is refused; and a scaling
 * that overflows the output type is the header's fault, named `scl_slope`.
 */
const OFFSETS = { 1: { slope: 112, inter: 116 }, 2: { slope: 176, inter: 184 } } as const;

function withScaling(version: 1 | 2, slope: number, inter: number, values = [0, 1, 2, 10]): Uint8Array {
  const bytes = encodeNifti(createVolume(Int16Array.from(values), [2, 2]), { version });
  const view = new DataView(bytes.buffer);
  if (version === 1) {
    view.setFloat32(OFFSETS[1].slope, slope, true);
    view.setFloat32(OFFSETS[1].inter, inter, true);
  } else {
    view.setFloat64(OFFSETS[2].slope, slope, true);
    view.setFloat64(OFFSETS[2].inter, inter, true);
  }
  return bytes;
}

function refusal(fn: () => unknown): NiftiError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(NiftiError);
    return err as NiftiError;
  }
  throw new Error('expected a NiftiError, nothing was thrown');
}

describe.each([1, 2] as const)('scaling fields, NIfTI-%i', (version) => {
  it.each([
    [1, Infinity, 'Infinity'],
    [2, -Infinity, '-Infinity'],
    [0.5, NaN, 'NaN'],
  ])('refuses scl_slope %s with scl_inter %s, naming the field and the value', (slope, inter, shown) => {
    const e = refusal(() => parseNifti(withScaling(version, slope, inter), 'scaled.nii'));
    expect(e.field).toBe('scl_inter');
    expect(e.message).toBe(`readNifti: scaled.nii: scl_inter: scl_slope is ${slope} but scl_inter is ${shown}; a valid slope needs a finite intercept`);
    // the fields are wrong whether or not the scaling is applied
    expect(() => parseNifti(withScaling(version, slope, inter), 'scaled.nii', { scaling: 'keep' })).toThrow(/scl_inter: scl_slope is/);
  });

  it.each([
    [0, Infinity],
    [NaN, NaN],
    [Infinity, 3],
  ])('reads scl_slope %s (no scaling) whatever scl_inter (%s) holds', (slope, inter) => {
    const v = parseNifti(withScaling(version, slope, inter), 'unscaled.nii');
    expect(v.datatype).toBe('int16');
    expect(Array.from(v.data)).toEqual([0, 1, 2, 10]);
  });

  it('names scl_slope when the scaled values overflow the output type', () => {
    const slope = 3e38; // 1 × slope fits float32, 2 × slope does not
    const e = refusal(() => parseNifti(withScaling(version, slope, 0), 'overflow.nii'));
    expect(e.field).toBe('scl_slope');
    expect(e.message).toMatch(
      new RegExp(String.raw`^readNifti: overflow\.nii: scl_slope: scaling overflows float32: voxel 2 = 2 × scl_slope \S+ \+ scl_inter 0 = \S+ \(option nonFinite`),
    );
    // asked for, the infinite voxels are kept or zeroed like any other non-finite voxel
    const kept = parseNifti(withScaling(version, slope, 0), 'overflow.nii', { nonFinite: 'keep' });
    expect(kept.data[3]).toBe(Infinity);
    expect(Array.from(parseNifti(withScaling(version, slope, 0), 'overflow.nii', { nonFinite: 'zero' }).data).slice(2)).toEqual([0, 0]);
  });
});
