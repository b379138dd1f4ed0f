import { constants as bufferConstants } from 'node:buffer';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { crc32 as crc32Js } from '../nifti/crc32.js';
import type { RawInflater } from '../nifti/gzip.js';

/**
 * Node's zlib as the deflate engine of the verified gzip reader. zlib's own gunzip is not used for
 * reading: it stops silently at NUL bytes after a member (dropping any member that follows the padding,
 * and any garbage), so the member walk and trailer checks stay `gunzipVerified`'s. Raw inflate reports
 * how much input the stream took (`engine.bytesWritten`), and `zlib.crc32` (Node ≥ 20.15) the checksum.
 */
export const zlibInflater: RawInflater = {
  inflate(input, limit) {
    let result: { buffer: Buffer; engine: zlib.Inflate };
    try {
      result = zlib.inflateRawSync(input, { info: true, maxOutputLength: Math.min(bufferConstants.MAX_LENGTH, Math.max(1, limit)) }) as unknown as typeof result;
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') return undefined;
      throw err;
    }
    const output = new Uint8Array(result.buffer.buffer, result.buffer.byteOffset, result.buffer.byteLength);
    if (output.length > limit) return undefined;
    return { output, consumed: result.engine.bytesWritten };
  },
  crc32: (data) => (typeof zlib.crc32 === 'function' ? zlib.crc32(data) : crc32Js(data)),
};

const gzipAsync = promisify(zlib.gzip);

/** gzip through zlib, off the main thread (one member with its CRC32 and ISIZE). */
export async function gzipNode(data: Uint8Array, level: number): Promise<Uint8Array> {
  const out = await gzipAsync(data, { level });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
