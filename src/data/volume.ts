import { oneOf } from '../common/options.js';

/** The voxel types gendice reads and writes (NIfTI datatype codes 2, 4, 8, 16, 64, 256, 512, 768). */
export type NiftiDatatype = 'uint8' | 'int8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32' | 'float64';

export type VoxelArray =
  | Uint8Array
  | Int8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array;

export const NIFTI_DATATYPES: readonly NiftiDatatype[] = [
  'uint8',
  'int8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'float32',
  'float64',
];

/** What a NIfTI file said beyond the geometry; kept so that a volume can be written back as it came. */
export interface NiftiHeaderInfo {
  version: 1 | 2;
  littleEndian: boolean;
  /** The datatype stored in the file (may differ from the volume's when scaling was applied). */
  storedDatatype: NiftiDatatype;
  /** dim[0..7] as stored. */
  dims: number[];
  /** pixdim[0..7] as stored. */
  pixdim: number[];
  qformCode: number;
  sformCode: number;
  sclSlope: number;
  sclInter: number;
  xyztUnits: number;
  intentCode: number;
  intentName: string;
  description: string;
  calMin: number;
  calMax: number;
  voxOffset: number;
  /** True when the data are the stored values and `sclSlope/sclInter` still apply (`scaling: 'keep'`). */
  scalingKept: boolean;
}

/**
 * An image or label map: data in the file's order (x fastest, then y, then z, then channel), its
 * spatial shape ([X, Y] or [X, Y, Z]), the number of channels (modalities), voxel spacing in mm and the
 * 4×4 row-major voxel-to-world affine (mm, RAS+ world as in NIfTI).
 */
export interface Volume {
  data: VoxelArray;
  shape: number[];
  channels: number;
  spacing: number[];
  affine: number[];
  datatype: NiftiDatatype;
  header?: NiftiHeaderInfo;
}

export function datatypeOf(data: VoxelArray): NiftiDatatype {
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Uint16Array) return 'uint16';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Uint32Array) return 'uint32';
  if (data instanceof Float32Array) return 'float32';
  return 'float64';
}

export function bytesPerVoxel(datatype: NiftiDatatype): number {
  switch (datatype) {
    case 'uint8':
    case 'int8':
      return 1;
    case 'int16':
    case 'uint16':
      return 2;
    case 'int32':
    case 'uint32':
    case 'float32':
      return 4;
    case 'float64':
      return 8;
  }
}

export function allocateVoxels(datatype: NiftiDatatype, length: number): VoxelArray {
  switch (datatype) {
    case 'uint8':
      return new Uint8Array(length);
    case 'int8':
      return new Int8Array(length);
    case 'int16':
      return new Int16Array(length);
    case 'uint16':
      return new Uint16Array(length);
    case 'int32':
      return new Int32Array(length);
    case 'uint32':
      return new Uint32Array(length);
    case 'float32':
      return new Float32Array(length);
    case 'float64':
      return new Float64Array(length);
  }
}

/** Integer range of a datatype, or undefined for the float types. */
export function integerRange(datatype: NiftiDatatype): [number, number] | undefined {
  switch (datatype) {
    case 'uint8':
      return [0, 255];
    case 'int8':
      return [-128, 127];
    case 'int16':
      return [-32768, 32767];
    case 'uint16':
      return [0, 65535];
    case 'int32':
      return [-2147483648, 2147483647];
    case 'uint32':
      return [0, 4294967295];
    default:
      return undefined;
  }
}

export function parseDatatype(name: string, where: string): NiftiDatatype {
  return oneOf(where, 'datatype', name, NIFTI_DATATYPES);
}

export function voxelsPerChannel(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

/** A diagonal affine with the given spacing and zero offset. */
export function diagonalAffine(spacing: readonly number[]): number[] {
  const a = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
  for (let i = 0; i < Math.min(3, spacing.length); i++) a[i * 5] = spacing[i]!;
  return a;
}

export interface CreateVolumeOptions {
  /** Default 1. */
  channels?: number;
  /** Default 1 mm per axis. */
  spacing?: number[];
  /** Default diag(spacing). */
  affine?: number[];
}

/**
 * Builds a Volume from data in file order (x fastest, channel slowest), checking that the data length
 * is `prod(shape) · channels` and that shape, spacing and affine are well formed.
 */
export function createVolume(data: VoxelArray, shape: number[], options: CreateVolumeOptions = {}): Volume {
  const channels = options.channels ?? 1;
  if (shape.length !== 2 && shape.length !== 3) {
    throw new Error(`createVolume: shape must have 2 or 3 spatial extents, got [${shape.join(', ')}]`);
  }
  if (!shape.every((s) => Number.isInteger(s) && s >= 1)) {
    throw new Error(`createVolume: extents must be positive integers, got [${shape.join(', ')}]`);
  }
  if (!Number.isInteger(channels) || channels < 1) {
    throw new Error(`createVolume: channels must be a positive integer, got ${channels}`);
  }
  const expected = voxelsPerChannel(shape) * channels;
  if (data.length !== expected) {
    throw new Error(
      `createVolume: data length ${data.length} does not match shape [${shape.join(', ')}] × ${channels} channel(s) = ${expected}`,
    );
  }
  const spacing = options.spacing ?? shape.map(() => 1);
  if (spacing.length !== shape.length || !spacing.every((s) => Number.isFinite(s) && s > 0)) {
    throw new Error(`createVolume: spacing must hold ${shape.length} positive finite numbers, got [${spacing.join(', ')}]`);
  }
  const affine = options.affine ?? diagonalAffine(spacing);
  if (affine.length !== 16 || !affine.every(Number.isFinite)) {
    throw new Error(`createVolume: affine must be 16 finite numbers (4×4 row-major), got ${affine.length}`);
  }
  return { data, shape: [...shape], channels, spacing: [...spacing], affine: [...affine], datatype: datatypeOf(data) };
}

/** A volume with the same geometry as `like` and new data (its datatype follows the data). */
export function withData(like: Volume, data: VoxelArray, channels = like.channels): Volume {
  return createVolume(data, like.shape, { channels, spacing: like.spacing, affine: like.affine });
}

/**
 * The volume in tensor layout: a Float32Array read row-major as [X, Y, Z, C] (2D: [X, Y, C]),
 * element [i, j, k, c] = voxel (i, j, k) of channel c.
 */
export function volumeToChannelsLast(volume: Volume): Float32Array {
  const { shape, channels: C, data } = volume;
  const X = shape[0]!;
  const Y = shape[1]!;
  const Z = shape[2] ?? 1;
  const out = new Float32Array(X * Y * Z * C);
  const plane = X * Y * Z;
  for (let c = 0; c < C; c++) {
    for (let k = 0; k < Z; k++) {
      for (let j = 0; j < Y; j++) {
        let src = c * plane + X * (j + Y * k);
        let dst = (j * Z + k) * C + c;
        const step = Y * Z * C;
        for (let i = 0; i < X; i++, src++, dst += step) out[dst] = data[src]!;
      }
    }
  }
  return out;
}

/**
 * The inverse of `volumeToChannelsLast`: tensor-layout data ([X, Y, Z, C] row-major) back to a Volume
 * with the geometry of `like`. `channels` defaults to `data.length / voxels`.
 */
export function channelsLastToVolume(data: Float32Array | Int32Array | Uint8Array, like: Volume): Volume {
  const X = like.shape[0]!;
  const Y = like.shape[1]!;
  const Z = like.shape[2] ?? 1;
  const plane = X * Y * Z;
  if (data.length % plane !== 0 || data.length === 0) {
    throw new Error(
      `channelsLastToVolume: data length ${data.length} is not a multiple of the ${plane} voxels of shape [${like.shape.join(', ')}]`,
    );
  }
  const C = data.length / plane;
  const out = data instanceof Float32Array ? new Float32Array(data.length) : data instanceof Int32Array ? new Int32Array(data.length) : new Uint8Array(data.length);
  for (let c = 0; c < C; c++) {
    for (let k = 0; k < Z; k++) {
      for (let j = 0; j < Y; j++) {
        let dst = c * plane + X * (j + Y * k);
        let src = (j * Z + k) * C + c;
        const step = Y * Z * C;
        for (let i = 0; i < X; i++, dst++, src += step) out[dst] = data[src]!;
      }
    }
  }
  return createVolume(out, like.shape, { channels: C, spacing: like.spacing, affine: like.affine });
}
