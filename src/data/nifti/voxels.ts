import { allocateVoxels, bytesPerVoxel, integerRange, type NiftiDatatype, type VoxelArray } from '../volume.js';
import type { FailNifti } from './niftiError.js';

export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function swapBytes(bytes: Uint8Array, width: number): void {
  if (width === 1) return;
  const n = bytes.length;
  for (let i = 0; i < n; i += width) {
    for (let lo = i, hi = i + width - 1; lo < hi; lo++, hi--) {
      const t = bytes[lo]!;
      bytes[lo] = bytes[hi]!;
      bytes[hi] = t;
    }
  }
}

/** Copies stored voxel bytes into a typed array of the host's byte order. */
export function decodeVoxels(raw: Uint8Array, datatype: NiftiDatatype, littleEndian: boolean): VoxelArray {
  const bpv = bytesPerVoxel(datatype);
  const copy = new Uint8Array(raw.length);
  copy.set(raw);
  if (littleEndian !== HOST_LITTLE_ENDIAN) swapBytes(copy, bpv);
  const Ctor = allocateVoxels(datatype, 0).constructor as new (buffer: ArrayBuffer, offset: number, length: number) => VoxelArray;
  return new Ctor(copy.buffer, 0, raw.length / bpv);
}

/**
 * `slope·stored + inter` as float32 (float64 when stored as float64). A finite stored value whose scaled
 * value does not fit the output type is the header's fault: an error naming `scl_slope`, unless
 * `nonFinite` asks for non-finite voxels to be kept or zeroed.
 */
export function applyScaling(
  data: VoxelArray,
  slope: number,
  inter: number,
  datatype: NiftiDatatype,
  nonFinite: 'error' | 'keep' | 'zero',
  fail: FailNifti,
): Float32Array | Float64Array {
  const out = datatype === 'float64' ? new Float64Array(data.length) : new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const stored = data[i]!;
    out[i] = stored * slope + inter;
    if (nonFinite === 'error' && !Number.isFinite(out[i]!) && Number.isFinite(stored)) {
      fail(
        'scl_slope',
        `scaling overflows ${out instanceof Float64Array ? 'float64' : 'float32'}: voxel ${i} = ${stored} × scl_slope ${slope} + scl_inter ${inter} = ${stored * slope + inter} (option nonFinite: 'keep' | 'zero')`,
      );
    }
  }
  return out;
}

export function convertForWriting(data: VoxelArray, from: NiftiDatatype, datatype: NiftiDatatype, fail: FailNifti): VoxelArray {
  if (from === datatype) return data;
  const out = allocateVoxels(datatype, data.length);
  const range = integerRange(datatype);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (range !== undefined && (!Number.isInteger(v) || v < range[0] || v > range[1])) {
      fail('datatype', `voxel ${i} = ${v} cannot be stored as ${datatype} (range ${range[0]}..${range[1]}, integers only)`);
    }
    out[i] = v;
  }
  return out;
}
