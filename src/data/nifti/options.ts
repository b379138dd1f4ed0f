import type { NiftiDatatype } from '../volume.js';

export interface ReadNiftiOptions {
  /** 'apply' (default): return slope·stored + inter as float; 'keep': stored values, slope/inter in header. */
  scaling?: 'apply' | 'keep';
  /** NaN/±Inf voxels: 'error' (default), 'keep', or 'zero' (replace by 0). */
  nonFinite?: 'error' | 'keep' | 'zero';
  /** Largest voxel payload accepted, in bytes (default 2 GiB); checked before anything is allocated. */
  maxBytes?: number;
}

export interface WriteNiftiOptions {
  /** Default: the version read, else 1 (2 when an extent exceeds 32767). */
  version?: 1 | 2;
  /** Default: the byte order read, else little-endian. */
  littleEndian?: boolean;
  /** Convert to this datatype on writing (integer targets need integral values within range). */
  datatype?: NiftiDatatype;
  /** gzip level 0..9 for `.gz` (default 1, as nibabel). */
  compressionLevel?: number;
  /** At most 79 ASCII characters (default: the description read, else 'gendice'). */
  description?: string;
}

export const DEFAULT_MAX_BYTES = 2 ** 31;
export const DEFAULT_COMPRESSION_LEVEL = 1;
