import { bytesPerVoxel, voxelsPerChannel, type Volume } from '../volume.js';
import { DATATYPE_CODES } from './header.js';
import { HEADER_SIZE, HeaderFields, SINGLE_FILE_MAGIC } from './headerFields.js';
import { gzipPure } from './inflatePure.js';
import { niftiFailer } from './niftiError.js';
import { DEFAULT_COMPRESSION_LEVEL, type WriteNiftiOptions } from './options.js';
import { affineToQform } from './transforms.js';
import { convertForWriting, HOST_LITTLE_ENDIAN, swapBytes } from './voxels.js';

/** Options of `encodeNifti`: those of `writeNifti`, whether to gzip, and the name used in errors. */
export type EncodeNiftiOptions = WriteNiftiOptions & { gzip?: boolean; name?: string };

/**
 * Encodes a Volume as NIfTI bytes (gzip-compressed through fflate when `gzip` is true). The affine is
 * written as the sform (exactly, to the precision of the version) and as the nearest qform.
 */
export function encodeNifti(volume: Volume, options: EncodeNiftiOptions = {}): Uint8Array {
  const raw = encodeNiftiUncompressed(volume, options);
  return options.gzip === true ? gzipPure(raw, options.compressionLevel ?? DEFAULT_COMPRESSION_LEVEL) : raw;
}

/** The uncompressed `.nii` bytes of `encodeNifti`, with every option checked (also `compressionLevel`). */
export function encodeNiftiUncompressed(volume: Volume, options: EncodeNiftiOptions = {}): Uint8Array {
  const fail = niftiFailer('writeNifti', options.name ?? '<memory>');
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
  const level = options.compressionLevel ?? DEFAULT_COMPRESSION_LEVEL;
  if (!Number.isInteger(level) || level < 0 || level > 9) fail('compressionLevel', `must be an integer 0..9, got ${level}`);
  const data = convertForWriting(volume.data, volume.datatype, datatype, fail);
  const bpv = bytesPerVoxel(datatype);

  const dims = channels > 1 ? [4, X, Y, Z, channels, 1, 1, 1] : rank === 3 ? [3, X, Y, Z, 1, 1, 1, 1] : [2, X, Y, 1, 1, 1, 1, 1];
  const q = affineToQform(affine, spacing);
  const thirdNorm = Math.hypot(affine[2]!, affine[6]!, affine[10]!);
  const pixdim = [q?.qfac ?? 1, spacing[0]!, spacing[1]!, rank === 3 ? spacing[2]! : thirdNorm > 0 ? thirdNorm : 1, 1, 1, 1, 1];
  const sformCode = header !== undefined && header.sformCode > 0 ? header.sformCode : 1;
  const qformCode = q === undefined ? 0 : header !== undefined && header.qformCode > 0 ? header.qformCode : 1;
  const kept = header?.scalingKept === true;
  const ascii = (text: string, max: number): string => text.replace(/[^\x20-\x7e]/g, '?').slice(0, max);

  const voxOffset = HEADER_SIZE[version] + 4; // the 4 bytes after the header: no extensions
  const out = new Uint8Array(voxOffset + data.length * bpv);
  const h = new HeaderFields(out, version, little);
  h.set('sizeof_hdr', HEADER_SIZE[version]);
  h.setRaw('magic', SINGLE_FILE_MAGIC[version]);
  h.set('dim', dims);
  h.set('intent_code', header?.intentCode ?? 0);
  h.set('datatype', DATATYPE_CODES[datatype]);
  h.set('bitpix', bpv * 8);
  h.set('pixdim', pixdim);
  h.set('vox_offset', voxOffset);
  h.set('scl_slope', kept ? header.sclSlope : 1);
  h.set('scl_inter', kept ? header.sclInter : 0);
  // Spatial units are millimetres (2); the temporal units read are kept.
  h.set('xyzt_units', 2 | ((header?.xyztUnits ?? 0) & 0x38));
  h.setText('descrip', ascii(options.description ?? header?.description ?? 'gendice', 79));
  h.set('qform_code', qformCode);
  h.set('sform_code', sformCode);
  if (q !== undefined) {
    h.set('quatern_b', q.b);
    h.set('quatern_c', q.c);
    h.set('quatern_d', q.d);
    h.set('qoffset_x', q.offset[0]);
    h.set('qoffset_y', q.offset[1]);
    h.set('qoffset_z', q.offset[2]);
  }
  h.set('srow_x', affine.slice(0, 4));
  h.set('srow_y', affine.slice(4, 8));
  h.set('srow_z', affine.slice(8, 12));
  h.setText('intent_name', ascii(header?.intentName ?? '', 15));
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.length * bpv), voxOffset);
  if (little !== HOST_LITTLE_ENDIAN) swapBytes(out.subarray(voxOffset), bpv);
  return out;
}
