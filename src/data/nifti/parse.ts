import type { Volume } from '../volume.js';
import { gunzipVerified, isGzip, type RawInflater } from './gzip.js';
import { parseHeader } from './header.js';
import { gunzipPrefix, pureInflater } from './inflatePure.js';
import { errorText, NiftiError, niftiFailer, type FailNifti } from './niftiError.js';
import { DEFAULT_MAX_BYTES, type ReadNiftiOptions } from './options.js';
import { applyScaling, decodeVoxels } from './voxels.js';

// Deflate cannot expand more than ~1032:1; a header asking for more than that is a lie or a truncation.
const MAX_DEFLATE_RATIO = 1032;
// Enough inflated bytes for a NIfTI-2 header and its extension flag.
const HEAD_BYTES = 544;

/**
 * Parses a NIfTI-1 or NIfTI-2 file held in memory (gzip-compressed or not, detected from the content).
 * `name` is used in errors. gzip goes through the verified pure-JS path (fflate + CRC32, every member's
 * CRC32 and ISIZE checked, trailing garbage refused); see docs/data.md for the affine, scaling, 2D/4D and
 * refusal policies.
 */
export function parseNifti(bytes: Uint8Array, name: string, options: ReadNiftiOptions = {}): Volume {
  return parseNiftiWith(bytes, name, options, pureInflater);
}

/** `parseNifti` with the deflate engine given (Node's zlib in `readNifti`, fflate elsewhere). */
export function parseNiftiWith(bytes: Uint8Array, name: string, options: ReadNiftiOptions, inflater: RawInflater): Volume {
  const op = 'readNifti';
  const fail = niftiFailer(op, name);
  const scaling = options.scaling ?? 'apply';
  const nonFinite = options.nonFinite ?? 'error';
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (scaling !== 'apply' && scaling !== 'keep') fail('options', `scaling must be 'apply' or 'keep', got '${String(scaling)}'`);
  if (!['error', 'keep', 'zero'].includes(nonFinite)) fail('options', `nonFinite must be 'error', 'keep' or 'zero', got '${String(nonFinite)}'`);
  try {
    return parseUnchecked(bytes, fail, scaling, nonFinite, maxBytes, inflater);
  } catch (err) {
    if (err instanceof NiftiError) throw err;
    // Anything else is a reader bug exposed by a malformed file: still report it as this file's error.
    throw new NiftiError(op, name, 'file', `malformed file (${errorText(err)})`);
  }
}

function parseUnchecked(
  bytes: Uint8Array,
  fail: FailNifti,
  scaling: 'apply' | 'keep',
  nonFinite: 'error' | 'keep' | 'zero',
  maxBytes: number,
  inflater: RawInflater,
): Volume {
  if (bytes.length === 0) fail('sizeof_hdr', 'file is empty');
  const gz = isGzip(bytes);
  const head = gz ? gunzipPrefix(bytes, HEAD_BYTES, fail) : bytes;
  if (gz && head.length < 348) fail('gzip', `stream holds only ${head.length} decompressed bytes, less than a NIfTI header`);
  const parsed = parseHeader(head, fail, maxBytes);
  const { info, dataBytes } = parsed;
  const expected = info.voxOffset + dataBytes;
  const need = `dims [${info.dims.slice(1, info.dims[0]! + 1).join(', ')}] of ${parsed.datatype} need ${dataBytes} bytes after vox_offset ${info.voxOffset}`;
  let file: Uint8Array;
  if (gz) {
    if (expected > bytes.length * MAX_DEFLATE_RATIO + 4096) {
      fail('data', `header needs ${expected} bytes but a ${bytes.length}-byte gzip file cannot hold more than ${bytes.length * MAX_DEFLATE_RATIO} (truncated file or corrupt dim)`);
    }
    const inflated = gunzipVerified(bytes, inflater, expected, fail);
    if (inflated === undefined) fail('data', `${need}; the file holds more (corrupt dim or trailing data)`);
    file = inflated;
  } else file = bytes;
  if (file.length !== expected) {
    if (file.length < expected) {
      fail('data', `${need}; the file holds only ${Math.max(0, file.length - info.voxOffset)} (truncated file or corrupt dim)`);
    }
    fail('data', `${need}; the file holds ${file.length - info.voxOffset} (corrupt dim or trailing data)`);
  }
  let data = decodeVoxels(file.subarray(info.voxOffset, expected), parsed.datatype, info.littleEndian);
  let datatype = parsed.datatype;
  // nibabel's rule: a zero or non-finite slope means no scaling (the intercept is then ignored); a valid
  // slope with a non-finite intercept is an error.
  const slope = info.sclSlope;
  const slopeValid = Number.isFinite(slope) && slope !== 0;
  const inter = info.sclInter;
  if (slopeValid && !Number.isFinite(inter)) {
    fail('scl_inter', `scl_slope is ${slope} but scl_inter is ${inter}; a valid slope needs a finite intercept`);
  }
  const scaled = slopeValid && (slope !== 1 || inter !== 0);
  if (scaled && scaling === 'apply') {
    data = applyScaling(data, slope, inter, datatype, nonFinite, fail);
    datatype = datatype === 'float64' ? 'float64' : 'float32';
  }
  info.scalingKept = scaled && scaling === 'keep';
  if ((data instanceof Float32Array || data instanceof Float64Array) && nonFinite !== 'keep') {
    let bad = 0;
    let first = -1;
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i]!)) {
        if (first < 0) first = i;
        bad++;
        if (nonFinite === 'zero') data[i] = 0;
      }
    }
    if (bad > 0 && nonFinite === 'error') {
      fail('data', `${bad} non-finite voxel(s) (NaN or ±Inf), first at index ${first} = ${data[first]} (option nonFinite: 'keep' | 'zero')`);
    }
  }
  return { data, shape: parsed.shape, channels: parsed.channels, spacing: parsed.spacing, affine: parsed.affine, datatype, header: info };
}
