import { readFile, stat } from 'node:fs/promises';
import { Gunzip, gunzipSync, gzipSync } from 'fflate';
import { NIFTI1, NIFTI2 } from 'nifti-reader-js';
import { writeFileAtomic } from '../common/atomicWrite.js';
import {
  allocateVoxels,
  bytesPerVoxel,
  integerRange,
  type NiftiDatatype,
  type NiftiHeaderInfo,
  type Volume,
  type VoxelArray,
  voxelsPerChannel,
} from './volume.js';

/**
 * A NIfTI file that cannot be read or written. `message` reads `<op>: <file>: <field>: <detail>`;
 * `file` and `field` are kept for programs that want to react to them.
 */
export class NiftiError extends Error {
  readonly file: string;
  readonly field: string;
  constructor(op: string, file: string, field: string, detail: string) {
    super(`${op}: ${file}: ${field}: ${detail}`);
    this.name = 'NiftiError';
    this.file = file;
    this.field = field;
  }
}

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

const DEFAULT_MAX_BYTES = 2 ** 31;
const DATATYPE_CODES: Record<NiftiDatatype, number> = {
  uint8: 2,
  int16: 4,
  int32: 8,
  float32: 16,
  float64: 64,
  int8: 256,
  uint16: 512,
  uint32: 768,
};
const UNSUPPORTED_CODES: Record<number, string> = {
  0: 'none',
  1: 'binary',
  32: 'complex64',
  128: 'rgb24',
  1024: 'int64',
  1280: 'uint64',
  1536: 'float128',
  1792: 'complex128',
  2048: 'complex256',
  2304: 'rgba32',
};
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
// Deflate cannot expand more than ~1032:1; a header asking for more than that is a lie or a truncation.
const MAX_DEFLATE_RATIO = 1032;

function datatypeFromCode(code: number): NiftiDatatype | undefined {
  for (const [name, c] of Object.entries(DATATYPE_CODES)) if (c === code) return name as NiftiDatatype;
  return undefined;
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function fflateMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Inflates just enough of a gzip stream to hold `want` bytes (or all of it when shorter). */
function inflateHead(bytes: Uint8Array, want: number, fail: (field: string, detail: string) => never): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const g = new Gunzip((chunk) => {
    chunks.push(chunk);
    total += chunk.length;
  });
  const step = 4096;
  try {
    for (let i = 0; i < bytes.length && total < want; i += step) {
      g.push(bytes.subarray(i, i + step), i + step >= bytes.length);
    }
  } catch (err) {
    if (total < want) fail('gzip', `corrupt or truncated gzip stream (${fflateMessage(err)})`);
  }
  return concat(chunks, Math.min(total, want));
}

/** Inflates a whole gzip stream (multi-member too) into exactly `expected + 1` bytes at most. */
function inflateAll(bytes: Uint8Array, expected: number, fail: (field: string, detail: string) => never): Uint8Array {
  let out: Uint8Array;
  try {
    out = gunzipSync(bytes, { out: new Uint8Array(expected + 1) });
  } catch (err) {
    fail('gzip', `corrupt or truncated gzip stream (${fflateMessage(err)})`);
  }
  if (out.length >= expected) return out;
  // gunzipSync stops after the first member; concatenated members need the streaming inflater.
  const chunks: Uint8Array[] = [];
  let total = 0;
  const g = new Gunzip((chunk) => {
    chunks.push(chunk);
    total += chunk.length;
  });
  const step = 1 << 20;
  try {
    for (let i = 0; i < bytes.length && total <= expected; i += step) {
      g.push(bytes.subarray(i, i + step), i + step >= bytes.length);
    }
  } catch (err) {
    fail('gzip', `corrupt or truncated gzip stream (${fflateMessage(err)})`);
  }
  return concat(chunks, Math.min(total, expected + 1));
}

function concat(chunks: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    if (at >= length) break;
    const n = Math.min(c.length, length - at);
    out.set(c.subarray(0, n), at);
    at += n;
  }
  return out;
}

interface ParsedHeader {
  info: NiftiHeaderInfo;
  datatype: NiftiDatatype;
  shape: number[];
  channels: number;
  spacing: number[];
  affine: number[];
  dataBytes: number;
}

function readInt64(view: DataView, offset: number, little: boolean): number {
  return Number(view.getBigInt64(offset, little));
}

function headerVersion(bytes: Uint8Array): { version: 1 | 2; little: boolean } | undefined {
  if (bytes.length < 4) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, 4);
  const le = view.getInt32(0, true);
  const be = view.getInt32(0, false);
  if (le === 348) return { version: 1, little: true };
  if (be === 348) return { version: 1, little: false };
  if (le === 540) return { version: 2, little: true };
  if (be === 540) return { version: 2, little: false };
  return undefined;
}

function parseHeader(bytes: Uint8Array, fail: (field: string, detail: string) => never, maxBytes: number): ParsedHeader {
  const kind = headerVersion(bytes);
  if (kind === undefined) {
    if (bytes.length < 4) fail('sizeof_hdr', `file holds only ${bytes.length} bytes, too short for a NIfTI header`);
    const v = new DataView(bytes.buffer, bytes.byteOffset, 4);
    fail('sizeof_hdr', `not a NIfTI file (sizeof_hdr is ${v.getInt32(0, true)}, expected 348 or 540)`);
  }
  const { version, little } = kind;
  const size = version === 1 ? 348 : 540;
  if (bytes.length < size) {
    fail('sizeof_hdr', `truncated header: NIfTI-${version} needs ${size} bytes, file holds ${bytes.length}`);
  }
  // The library gets exactly the fixed header, so that it never walks extensions of untrusted files.
  const headerBuffer = bytes.slice(0, size).buffer;
  const view = new DataView(headerBuffer);
  const magicBytes = Array.from(bytes.subarray(version === 1 ? 344 : 4, version === 1 ? 348 : 12));
  const magic = String.fromCharCode(...magicBytes.slice(0, 3));
  if (magic === 'ni1' || magic === 'ni2') fail('magic', `'${magic}' is a .hdr/.img pair header; only single-file .nii is supported`);
  const expectedMagic = version === 1 ? [0x6e, 0x2b, 0x31, 0] : [0x6e, 0x2b, 0x32, 0, 0x0d, 0x0a, 0x1a, 0x0a];
  if (!expectedMagic.every((b, i) => magicBytes[i] === b)) {
    fail('magic', `expected '${version === 1 ? 'n+1' : 'n+2'}', got ${JSON.stringify(String.fromCharCode(...magicBytes))}`);
  }
  let h: NIFTI1 | NIFTI2;
  try {
    h = version === 1 ? new NIFTI1() : new NIFTI2();
    h.readHeader(headerBuffer);
  } catch (err) {
    fail('header', `unreadable header (${fflateMessage(err)})`);
  }
  if (h.littleEndian !== little) fail('sizeof_hdr', 'inconsistent byte order');

  // nifti-reader-js decodes big-endian 64-bit fields incorrectly above 2^31; NIfTI-2 integers are read here.
  const dims =
    version === 1
      ? h.dims.slice(0, 8)
      : Array.from({ length: 8 }, (_, i) => readInt64(view, 16 + 8 * i, little));
  const voxOffset = version === 1 ? h.vox_offset : readInt64(view, 168, little);
  const pixdim = h.pixDims.slice(0, 8);

  const dim0 = dims[0]!;
  if (!Number.isInteger(dim0) || dim0 < 2 || dim0 > 7) {
    fail('dim', `dim[0] must be 2..7 (1D images are not supported), got ${dim0}`);
  }
  const ext = (i: number): number => (i <= dim0 ? dims[i]! : 1);
  for (let i = 1; i <= dim0; i++) {
    const d = dims[i]!;
    if (!Number.isSafeInteger(d) || d < 1 || d > 2 ** 31) fail('dim', `dim[${i}] must be a positive extent, got ${d}`);
  }
  if (ext(6) > 1 || ext(7) > 1) fail('dim', `dims 6 and 7 must be 1, got [${dims.join(', ')}]`);
  if (ext(4) > 1 && ext(5) > 1) {
    fail('dim', `only one non-spatial axis may exceed 1 (channels), got dim[4] = ${ext(4)} and dim[5] = ${ext(5)}`);
  }
  const code = h.datatypeCode;
  const datatype = datatypeFromCode(code);
  if (datatype === undefined) {
    const known = UNSUPPORTED_CODES[code];
    fail(
      'datatype',
      `${known !== undefined ? `datatype ${known} (${code}) is not supported` : `unknown datatype code ${code}`}; supported: uint8, int8, int16, uint16, int32, uint32, float32, float64`,
    );
  }
  const bpv = bytesPerVoxel(datatype);
  if (h.numBitsPerVoxel !== bpv * 8) fail('bitpix', `${datatype} has ${bpv * 8} bits per voxel, header says ${h.numBitsPerVoxel}`);

  const X = ext(1);
  const Y = ext(2);
  const Z = ext(3);
  const rank = Z === 1 ? 2 : 3;
  const shape = rank === 2 ? [X, Y] : [X, Y, Z];
  const channels = ext(4) * ext(5);
  const voxels = X * Y * Z * channels;
  const dataBytes = voxels * bpv;
  if (dataBytes > maxBytes) {
    fail(
      'dim',
      `dims [${dims.slice(1, dim0 + 1).join(', ')}] of ${datatype} need ${dataBytes} bytes, more than the limit of ${maxBytes} (option maxBytes)`,
    );
  }
  const headerEnd = size + 4;
  if (!Number.isInteger(voxOffset) || voxOffset < headerEnd || voxOffset > maxBytes) {
    fail('vox_offset', `must be an integer ≥ ${headerEnd} for a single-file NIfTI-${version}, got ${voxOffset}`);
  }

  // Spatial units: metres and microns are converted to millimetres.
  const unitCode = h.xyzt_units & 7;
  const toMm = unitCode === 1 ? 1000 : unitCode === 3 ? 0.001 : 1;
  const spacing: number[] = [];
  for (let i = 1; i <= rank; i++) {
    const p = pixdim[i]!;
    if (!Number.isFinite(p) || p <= 0) fail('pixdim', `pixdim[${i}] must be a positive finite voxel size, got ${p}`);
    spacing.push(p * toMm);
  }
  const affine = headerAffine(h, view, version, little, pixdim, rank, fail);
  if (toMm !== 1) for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) affine[r * 4 + c]! *= toMm;

  const info: NiftiHeaderInfo = {
    version,
    littleEndian: little,
    storedDatatype: datatype,
    dims,
    pixdim,
    qformCode: h.qform_code,
    sformCode: h.sform_code,
    sclSlope: h.scl_slope,
    sclInter: h.scl_inter,
    xyztUnits: h.xyzt_units,
    intentCode: h.intent_code,
    intentName: h.intent_name,
    description: h.description,
    calMin: h.cal_min,
    calMax: h.cal_max,
    voxOffset,
    scalingKept: false,
  };
  return { info, datatype, shape, channels, spacing, affine, dataBytes };
}

function headerAffine(
  h: NIFTI1 | NIFTI2,
  view: DataView,
  version: 1 | 2,
  little: boolean,
  pixdim: number[],
  rank: number,
  fail: (field: string, detail: string) => never,
): number[] {
  if (h.sform_code > 0) {
    const a: number[] = [];
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < 4; c++) {
        const at = version === 1 ? 280 + (r * 4 + c) * 4 : 400 + (r * 4 + c) * 8;
        a.push(version === 1 ? view.getFloat32(at, little) : view.getFloat64(at, little));
      }
    }
    a.push(0, 0, 0, 1);
    if (!a.every(Number.isFinite)) fail('srow', `sform_code is ${h.sform_code} but srow_x/y/z hold non-finite values [${a.slice(0, 12).join(', ')}]`);
    if (Math.abs(det3(a, rank)) < 1e-12) fail('srow', `sform_code is ${h.sform_code} but the sform is singular [${a.slice(0, 12).join(', ')}]`);
    return a;
  }
  if (h.qform_code > 0) {
    const q = [h.quatern_b, h.quatern_c, h.quatern_d, h.qoffset_x, h.qoffset_y, h.qoffset_z];
    if (!q.every(Number.isFinite)) fail('quatern', `qform_code is ${h.qform_code} but quatern_b/c/d, qoffset_x/y/z hold [${q.join(', ')}]`);
    let [b, c, d] = q as [number, number, number];
    const s = b * b + c * c + d * d;
    if (s > 1.01) fail('quatern', `quatern_b/c/d must have norm ≤ 1, got [${b}, ${c}, ${d}]`);
    let a: number;
    if (1 - s < 1e-7) {
      const n = Math.sqrt(s);
      b /= n;
      c /= n;
      d /= n;
      a = 0;
    } else a = Math.sqrt(1 - s);
    const R = [
      a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c),
      2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b),
      2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b,
    ];
    const qfac = pixdim[0]! < 0 ? -1 : 1;
    const scale = [pixdim[1]!, pixdim[2]!, rank === 3 ? pixdim[3]! : pixdim[3]! > 0 ? pixdim[3]! : 1];
    scale[2]! *= qfac;
    const out: number[] = [];
    for (let r = 0; r < 3; r++) {
      for (let k = 0; k < 3; k++) out.push(R[r * 3 + k]! * scale[k]!);
      out.push(q[3 + r]!);
    }
    out.push(0, 0, 0, 1);
    return out;
  }
  const p3 = pixdim[3]!;
  return [pixdim[1]!, 0, 0, 0, 0, pixdim[2]!, 0, 0, 0, 0, rank === 3 || (Number.isFinite(p3) && p3 > 0) ? p3 : 1, 0, 0, 0, 0, 1];
}

/** Determinant of the 3×3 part (for 2D volumes, the area of the in-plane columns). */
function det3(a: number[], rank: number): number {
  const m = (r: number, c: number): number => a[r * 4 + c]!;
  if (rank === 2) {
    const x = [m(0, 0), m(1, 0), m(2, 0)];
    const y = [m(0, 1), m(1, 1), m(2, 1)];
    const cx = x[1]! * y[2]! - x[2]! * y[1]!;
    const cy = x[2]! * y[0]! - x[0]! * y[2]!;
    const cz = x[0]! * y[1]! - x[1]! * y[0]!;
    return Math.hypot(cx, cy, cz);
  }
  return (
    m(0, 0) * (m(1, 1) * m(2, 2) - m(1, 2) * m(2, 1)) -
    m(0, 1) * (m(1, 0) * m(2, 2) - m(1, 2) * m(2, 0)) +
    m(0, 2) * (m(1, 0) * m(2, 1) - m(1, 1) * m(2, 0))
  );
}

function swapBytes(bytes: Uint8Array, width: number): void {
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

function decodeVoxels(raw: Uint8Array, datatype: NiftiDatatype, little: boolean): VoxelArray {
  const bpv = bytesPerVoxel(datatype);
  const copy = new Uint8Array(raw.length);
  copy.set(raw);
  if (little !== HOST_LITTLE_ENDIAN) swapBytes(copy, bpv);
  const out = allocateVoxels(datatype, 0);
  const Ctor = out.constructor as new (buffer: ArrayBuffer, offset: number, length: number) => VoxelArray;
  return new Ctor(copy.buffer, 0, raw.length / bpv);
}

/**
 * Parses a NIfTI-1 or NIfTI-2 file held in memory (gzip-compressed or not). `name` is used in errors.
 * See docs/data.md for the affine, scaling, 2D/4D and refusal policies.
 */
export function parseNifti(bytes: Uint8Array, name: string, options: ReadNiftiOptions = {}): Volume {
  const op = 'readNifti';
  const fail = (field: string, detail: string): never => {
    throw new NiftiError(op, name, field, detail);
  };
  const scaling = options.scaling ?? 'apply';
  const nonFinite = options.nonFinite ?? 'error';
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (scaling !== 'apply' && scaling !== 'keep') fail('options', `scaling must be 'apply' or 'keep', got '${String(scaling)}'`);
  if (!['error', 'keep', 'zero'].includes(nonFinite)) fail('options', `nonFinite must be 'error', 'keep' or 'zero', got '${String(nonFinite)}'`);
  try {
    return parseUnchecked(bytes, fail, scaling, nonFinite, maxBytes);
  } catch (err) {
    if (err instanceof NiftiError) throw err;
    // Anything else is a reader bug exposed by a malformed file: still report it as this file's error.
    throw new NiftiError(op, name, 'file', `malformed file (${fflateMessage(err)})`);
  }
}

function parseUnchecked(
  bytes: Uint8Array,
  fail: (field: string, detail: string) => never,
  scaling: 'apply' | 'keep',
  nonFinite: 'error' | 'keep' | 'zero',
  maxBytes: number,
): Volume {
  if (bytes.length === 0) fail('sizeof_hdr', 'file is empty');
  const gz = isGzip(bytes);
  const head = gz ? inflateHead(bytes, 544, fail) : bytes;
  if (gz && head.length < 348) fail('gzip', `stream holds only ${head.length} decompressed bytes, less than a NIfTI header`);
  const parsed = parseHeader(head, fail, maxBytes);
  const { info, dataBytes } = parsed;
  const expected = info.voxOffset + dataBytes;
  let file: Uint8Array;
  if (gz) {
    if (expected > bytes.length * MAX_DEFLATE_RATIO + 4096) {
      fail('data', `header needs ${expected} bytes but a ${bytes.length}-byte gzip file cannot hold more than ${bytes.length * MAX_DEFLATE_RATIO} (truncated file or corrupt dim)`);
    }
    file = inflateAll(bytes, expected, fail);
  } else file = bytes;
  if (file.length !== expected) {
    const need = `dims [${info.dims.slice(1, info.dims[0]! + 1).join(', ')}] of ${parsed.datatype} need ${dataBytes} bytes after vox_offset ${info.voxOffset}`;
    if (file.length < expected) {
      fail('data', `${need}; the file holds only ${Math.max(0, file.length - info.voxOffset)} (truncated file or corrupt dim)`);
    }
    fail('data', `${need}; the file holds ${gz ? 'more' : file.length - info.voxOffset} (corrupt dim or trailing data)`);
  }
  let data = decodeVoxels(file.subarray(info.voxOffset, expected), parsed.datatype, info.littleEndian);
  let datatype = parsed.datatype;
  const slope = info.sclSlope;
  const inter = Number.isFinite(info.sclInter) ? info.sclInter : 0;
  const scaled = Number.isFinite(slope) && slope !== 0 && (slope !== 1 || inter !== 0);
  if (scaled && scaling === 'apply') {
    const out = datatype === 'float64' ? new Float64Array(data.length) : new Float32Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = data[i]! * slope + inter;
    data = out;
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
  const volume: Volume = {
    data,
    shape: parsed.shape,
    channels: parsed.channels,
    spacing: parsed.spacing,
    affine: parsed.affine,
    datatype,
    header: info,
  };
  return volume;
}

/** Reads a `.nii` or `.nii.gz` file (NIfTI-1 or -2) into a Volume; see `parseNifti`. */
export async function readNifti(path: string, options: ReadNiftiOptions = {}): Promise<Volume> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (err) {
    throw new NiftiError('readNifti', path, 'file', `cannot open (${fflateMessage(err)})`);
  }
  // A file larger than any acceptable payload plus generous extensions is refused unread.
  if (size > maxBytes + (1 << 24)) {
    throw new NiftiError('readNifti', path, 'file', `file of ${size} bytes exceeds the limit of ${maxBytes} (option maxBytes)`);
  }
  const bytes = await readFile(path);
  return parseNifti(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path, options);
}

interface Quaternion {
  b: number;
  c: number;
  d: number;
  qfac: number;
}

/** The qform closest to a rotation-and-scaling affine, or undefined when it has shear or a mismatch with the spacing. */
function affineToQuaternion(affine: number[], spacing: number[]): Quaternion | undefined {
  const col = (k: number): number[] => [affine[k]!, affine[4 + k]!, affine[8 + k]!];
  const cols = [col(0), col(1), col(2)];
  const norms = cols.map((c) => Math.hypot(...c));
  if (norms.some((n) => !(n > 0))) return undefined;
  for (let k = 0; k < spacing.length; k++) {
    if (Math.abs(norms[k]! - spacing[k]!) > 1e-4 * Math.max(1, spacing[k]!)) return undefined;
  }
  const R = cols.map((c, k) => c.map((v) => v / norms[k]!));
  const dot = (u: number[], v: number[]): number => u[0]! * v[0]! + u[1]! * v[1]! + u[2]! * v[2]!;
  if (Math.abs(dot(R[0]!, R[1]!)) > 1e-4 || Math.abs(dot(R[0]!, R[2]!)) > 1e-4 || Math.abs(dot(R[1]!, R[2]!)) > 1e-4) return undefined;
  // R[k] are columns; m(r, c) is the rotation matrix entry.
  let qfac = 1;
  const m = (r: number, c: number): number => R[c]![r]!;
  const det =
    m(0, 0) * (m(1, 1) * m(2, 2) - m(1, 2) * m(2, 1)) -
    m(0, 1) * (m(1, 0) * m(2, 2) - m(1, 2) * m(2, 0)) +
    m(0, 2) * (m(1, 0) * m(2, 1) - m(1, 1) * m(2, 0));
  if (det < 0) {
    qfac = -1;
    R[2] = R[2]!.map((v) => -v);
  }
  const trace = m(0, 0) + m(1, 1) + m(2, 2);
  let a: number;
  let b: number;
  let c: number;
  let d: number;
  if (trace > 0) {
    a = 0.5 * Math.sqrt(1 + trace);
    b = (m(2, 1) - m(1, 2)) / (4 * a);
    c = (m(0, 2) - m(2, 0)) / (4 * a);
    d = (m(1, 0) - m(0, 1)) / (4 * a);
  } else if (m(0, 0) >= m(1, 1) && m(0, 0) >= m(2, 2)) {
    b = 0.5 * Math.sqrt(Math.max(0, 1 + m(0, 0) - m(1, 1) - m(2, 2)));
    a = (m(2, 1) - m(1, 2)) / (4 * b);
    c = (m(0, 1) + m(1, 0)) / (4 * b);
    d = (m(0, 2) + m(2, 0)) / (4 * b);
  } else if (m(1, 1) >= m(2, 2)) {
    c = 0.5 * Math.sqrt(Math.max(0, 1 - m(0, 0) + m(1, 1) - m(2, 2)));
    a = (m(0, 2) - m(2, 0)) / (4 * c);
    b = (m(0, 1) + m(1, 0)) / (4 * c);
    d = (m(1, 2) + m(2, 1)) / (4 * c);
  } else {
    d = 0.5 * Math.sqrt(Math.max(0, 1 - m(0, 0) - m(1, 1) + m(2, 2)));
    a = (m(1, 0) - m(0, 1)) / (4 * d);
    b = (m(0, 2) + m(2, 0)) / (4 * d);
    c = (m(1, 2) + m(2, 1)) / (4 * d);
  }
  if (a < 0) {
    b = -b;
    c = -c;
    d = -d;
  }
  return { b, c, d, qfac };
}

function convertForWriting(volume: Volume, datatype: NiftiDatatype, fail: (field: string, detail: string) => never): VoxelArray {
  const src = volume.data;
  if (volume.datatype === datatype) return src;
  const out = allocateVoxels(datatype, src.length);
  const range = integerRange(datatype);
  for (let i = 0; i < src.length; i++) {
    const v = src[i]!;
    if (range !== undefined && (!Number.isInteger(v) || v < range[0] || v > range[1])) {
      fail('datatype', `voxel ${i} = ${v} cannot be stored as ${datatype} (range ${range[0]}..${range[1]}, integers only)`);
    }
    out[i] = v;
  }
  return out;
}

/**
 * Encodes a Volume as NIfTI bytes (gzip-compressed when `gzip` is true). The affine is written as the
 * sform (exactly, to the precision of the version) and as the nearest qform.
 */
export function encodeNifti(volume: Volume, options: WriteNiftiOptions & { gzip?: boolean; name?: string } = {}): Uint8Array {
  const name = options.name ?? '<memory>';
  const fail = (field: string, detail: string): never => {
    throw new NiftiError('writeNifti', name, field, detail);
  };
  const { shape, channels, spacing, affine } = volume;
  const rank = shape.length;
  if (rank !== 2 && rank !== 3) fail('dim', `shape must have 2 or 3 extents, got [${shape.join(', ')}]`);
  const X = shape[0]!;
  const Y = shape[1]!;
  const Z = rank === 3 ? shape[2]! : 1;
  const expectedLength = voxelsPerChannel(shape) * channels;
  if (volume.data.length !== expectedLength) {
    fail('data', `data length ${volume.data.length} does not match shape [${shape.join(', ')}] × ${channels} channel(s)`);
  }
  if (affine.length !== 16 || !affine.every(Number.isFinite)) fail('affine', 'must be 16 finite numbers');
  if (spacing.length !== rank || !spacing.every((s) => Number.isFinite(s) && s > 0)) {
    fail('pixdim', `spacing must hold ${rank} positive finite numbers, got [${spacing.join(', ')}]`);
  }
  const header = volume.header;
  const big = Math.max(X, Y, Z, channels) > 32767;
  const version = options.version ?? (big ? 2 : header?.version ?? 1);
  if (version === 1 && big) fail('dim', `an extent exceeds NIfTI-1's 32767 (shape [${shape.join(', ')}], ${channels} channels); use version 2`);
  const little = options.littleEndian ?? header?.littleEndian ?? true;
  const datatype = options.datatype ?? volume.datatype;
  const level = options.compressionLevel ?? 1;
  if (!Number.isInteger(level) || level < 0 || level > 9) fail('compressionLevel', `must be an integer 0..9, got ${level}`);
  const data = convertForWriting(volume, datatype, fail);
  const bpv = bytesPerVoxel(datatype);

  const dims = [0, 1, 1, 1, 1, 1, 1, 1];
  if (channels > 1) dims.splice(0, 5, 4, X, Y, Z, channels);
  else if (rank === 3) dims.splice(0, 4, 3, X, Y, Z);
  else dims.splice(0, 3, 2, X, Y);
  const q = affineToQuaternion(affine, spacing);
  const thirdNorm = Math.hypot(affine[2]!, affine[6]!, affine[10]!);
  const pixdim = [q?.qfac ?? 1, spacing[0]!, spacing[1]!, rank === 3 ? spacing[2]! : thirdNorm > 0 ? thirdNorm : 1, 1, 1, 1, 1];
  const sformCode = header !== undefined && header.sformCode > 0 ? header.sformCode : 1;
  const qformCode = q === undefined ? 0 : header !== undefined && header.qformCode > 0 ? header.qformCode : 1;
  const slope = header?.scalingKept === true ? header.sclSlope : 1;
  const inter = header?.scalingKept === true ? header.sclInter : 0;
  const description = (options.description ?? header?.description ?? 'gendice').replace(/[^\x20-\x7e]/g, '?').slice(0, 79);
  const intentName = (header?.intentName ?? '').replace(/[^\x20-\x7e]/g, '?').slice(0, 15);
  const temporalUnits = (header?.xyztUnits ?? 0) & 0x38;

  const hdrSize = version === 1 ? 348 : 540;
  const voxOffset = hdrSize + 4;
  const out = new Uint8Array(voxOffset + data.length * bpv);
  const v = new DataView(out.buffer);
  const ascii = (at: number, text: string): void => {
    for (let i = 0; i < text.length; i++) out[at + i] = text.charCodeAt(i);
  };
  v.setInt32(0, hdrSize, little);
  if (version === 1) {
    for (let i = 0; i < 8; i++) v.setInt16(40 + 2 * i, dims[i]!, little);
    v.setInt16(68, header?.intentCode ?? 0, little);
    v.setInt16(70, DATATYPE_CODES[datatype], little);
    v.setInt16(72, bpv * 8, little);
    for (let i = 0; i < 8; i++) v.setFloat32(76 + 4 * i, pixdim[i]!, little);
    v.setFloat32(108, voxOffset, little);
    v.setFloat32(112, slope, little);
    v.setFloat32(116, inter, little);
    v.setUint8(123, 2 | temporalUnits);
    ascii(148, description);
    v.setInt16(252, qformCode, little);
    v.setInt16(254, sformCode, little);
    if (q !== undefined) {
      [q.b, q.c, q.d, affine[3]!, affine[7]!, affine[11]!].forEach((x, i) => v.setFloat32(256 + 4 * i, x, little));
    }
    for (let i = 0; i < 12; i++) v.setFloat32(280 + 4 * i, affine[i]!, little);
    ascii(328, intentName);
    ascii(344, 'n+1');
  } else {
    ascii(4, 'n+2');
    out.set([0, 0x0d, 0x0a, 0x1a, 0x0a], 7);
    v.setInt16(12, DATATYPE_CODES[datatype], little);
    v.setInt16(14, bpv * 8, little);
    for (let i = 0; i < 8; i++) v.setBigInt64(16 + 8 * i, BigInt(dims[i]!), little);
    for (let i = 0; i < 8; i++) v.setFloat64(104 + 8 * i, pixdim[i]!, little);
    v.setBigInt64(168, BigInt(voxOffset), little);
    v.setFloat64(176, slope, little);
    v.setFloat64(184, inter, little);
    ascii(240, description);
    v.setInt32(344, qformCode, little);
    v.setInt32(348, sformCode, little);
    if (q !== undefined) {
      [q.b, q.c, q.d, affine[3]!, affine[7]!, affine[11]!].forEach((x, i) => v.setFloat64(352 + 8 * i, x, little));
    }
    for (let i = 0; i < 12; i++) v.setFloat64(400 + 8 * i, affine[i]!, little);
    v.setInt32(500, 2 | temporalUnits, little);
    v.setInt32(504, header?.intentCode ?? 0, little);
    ascii(508, intentName);
  }
  const payload = new Uint8Array(data.buffer, data.byteOffset, data.length * bpv);
  out.set(payload, voxOffset);
  if (little !== HOST_LITTLE_ENDIAN) swapBytes(out.subarray(voxOffset), bpv);
  return options.gzip === true ? gzipSync(out, { level: level as 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 }) : out;
}

/**
 * Writes a Volume as NIfTI (`.nii`, or gzip-compressed when the path ends in `.gz`), atomically
 * (temporary file, then rename). Round-trips dims, spacing, affine, datatype and data.
 */
export async function writeNifti(path: string, volume: Volume, options: WriteNiftiOptions = {}): Promise<void> {
  const bytes = encodeNifti(volume, { ...options, gzip: path.endsWith('.gz'), name: path });
  writeFileAtomic(path, bytes);
}
