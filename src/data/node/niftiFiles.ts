import { constants, mkdirSync } from 'node:fs';
import { open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Volume } from '../volume.js';
import { encodeNiftiUncompressed } from '../nifti/encode.js';
import { errorText, NiftiError } from '../nifti/niftiError.js';
import { DEFAULT_COMPRESSION_LEVEL, DEFAULT_MAX_BYTES, type ReadNiftiOptions, type WriteNiftiOptions } from '../nifti/options.js';
import { parseNiftiWith } from '../nifti/parse.js';
import { gzipNode, zlibInflater } from './zlibInflater.js';

/**
 * Reads a `.nii` or `.nii.gz` file (NIfTI-1 or -2) into a Volume; see `parseNifti`. gzip is inflated by
 * Node's zlib, every member's CRC32 and ISIZE verified, trailing garbage refused.
 */
export async function readNifti(path: string, options: ReadNiftiOptions = {}): Promise<Volume> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (err) {
    throw new NiftiError('readNifti', path, 'file', `cannot open (${errorText(err)})`);
  }
  // A file larger than any acceptable payload plus generous extensions is refused unread.
  if (size > maxBytes + (1 << 24)) {
    throw new NiftiError('readNifti', path, 'file', `file of ${size} bytes exceeds the limit of ${maxBytes} (option maxBytes)`);
  }
  const bytes = await readFile(path);
  return parseNiftiWith(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path, options, zlibInflater);
}

/**
 * Writes a Volume as NIfTI (`.nii`, or gzip-compressed through zlib when the path ends in `.gz`), durably:
 * a temporary file in the same folder, fsynced, renamed over `path`, the folder fsynced. Round-trips
 * dims, spacing, affine, datatype and data.
 */
export async function writeNifti(path: string, volume: Volume, options: WriteNiftiOptions = {}): Promise<void> {
  const raw = encodeNiftiUncompressed(volume, { ...options, name: path });
  const bytes = path.endsWith('.gz') ? await gzipNode(raw, options.compressionLevel ?? DEFAULT_COMPRESSION_LEVEL) : raw;
  try {
    await writeDurable(path, bytes);
  } catch (err) {
    throw new NiftiError('writeNifti', path, 'file', `cannot write (${errorText(err)})`);
  }
}

async function writeDurable(path: string, bytes: Uint8Array): Promise<void> {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    const file = await open(tmp, 'wx');
    try {
      await file.writeFile(bytes);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  const folder = await open(dir, constants.O_RDONLY);
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}
