import type { FailNifti } from './niftiError.js';

/**
 * gzip member parsing with Python's `gzip.decompress` semantics (RFC 1952): members are read one after
 * another; each must end with a CRC32 and an ISIZE (length mod 2³²) that match what it inflated to; NUL
 * bytes after a member are padding and skipped; anything else after a member must be another member, so
 * trailing garbage is refused. The deflate work is done by a `RawInflater` (Node's zlib, or fflate in a
 * browser), which only has to inflate one raw deflate stream and say where it ended.
 */
export interface RawInflater {
  /**
   * Inflates the raw deflate stream at the start of `input`. Returns the output and the number of input
   * bytes the stream took, or `undefined` when the stream would produce more than `limit` bytes. Throws on
   * corrupt or truncated data.
   */
  inflate(input: Uint8Array, limit: number): { output: Uint8Array; consumed: number } | undefined;
  crc32(data: Uint8Array): number;
}

const FHCRC = 2;
const FEXTRA = 4;
const FNAME = 8;
const FCOMMENT = 16;

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

const hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

/** Offset of the deflate data of the member whose header starts at `at` (Python's `_read_gzip_header`). */
export function memberDataOffset(bytes: Uint8Array, at: number, member: number, fail: FailNifti): number {
  const truncated = (): never => fail('gzip', `gzip member ${member}: truncated header at offset ${at}`);
  if (at + 10 > bytes.length) truncated();
  if (bytes[at + 2] !== 8) fail('gzip', `gzip member ${member}: unknown compression method ${bytes[at + 2]} (only 8, deflate)`);
  const flags = bytes[at + 3]!;
  let p = at + 10;
  if (flags & FEXTRA) {
    if (p + 2 > bytes.length) truncated();
    p += 2 + (bytes[p]! | (bytes[p + 1]! << 8));
  }
  for (const flag of [FNAME, FCOMMENT]) {
    if (flags & flag) {
      while (p < bytes.length && bytes[p] !== 0) p++;
      p++;
    }
  }
  if (flags & FHCRC) p += 2; // present but, as in Python, not checked: the member's CRC32 covers the data
  if (p > bytes.length) truncated();
  return p;
}

/**
 * Inflates every member of a gzip stream and verifies each one's CRC32 and ISIZE; errors go through `fail`
 * with field `gzip`. Returns undefined as soon as the output would exceed `limit` bytes.
 */
export function gunzipVerified(bytes: Uint8Array, inflater: RawInflater, limit: number, fail: FailNifti): Uint8Array | undefined {
  const parts: Uint8Array[] = [];
  let total = 0;
  let at = 0;
  let member = 0;
  while (at < bytes.length) {
    member++;
    if (!isGzip(bytes.subarray(at, at + 2))) {
      const shown = Array.from(bytes.subarray(at, at + 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
      fail('gzip', `trailing garbage: ${bytes.length - at} byte(s) at offset ${at} after gzip member ${member - 1} are neither NUL padding nor a gzip member (they start ${shown})`);
    }
    const start = memberDataOffset(bytes, at, member, fail);
    let inflated: ReturnType<RawInflater['inflate']>;
    try {
      inflated = inflater.inflate(bytes.subarray(start), limit - total);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      fail('gzip', `gzip member ${member}: corrupt or truncated gzip stream (deflate: ${why})`);
    }
    if (inflated === undefined) return undefined;
    const { output, consumed } = inflated;
    const trailer = start + consumed;
    if (trailer + 8 > bytes.length) {
      fail('gzip', `gzip member ${member}: truncated: the stream ends ${bytes.length - trailer} byte(s) into its 8-byte CRC32/ISIZE trailer`);
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset + trailer, 8);
    const storedCrc = view.getUint32(0, true);
    const storedSize = view.getUint32(4, true);
    const crc = inflater.crc32(output);
    if (storedCrc !== crc) fail('gzip', `gzip member ${member}: CRC32 mismatch (stored ${hex(storedCrc)}, computed ${hex(crc)})`);
    if (storedSize !== output.length % 2 ** 32) {
      fail('gzip', `gzip member ${member}: length mismatch (ISIZE stored ${storedSize}, inflated ${output.length} bytes)`);
    }
    parts.push(output);
    total += output.length;
    at = trailer + 8;
    while (at < bytes.length && bytes[at] === 0) at++;
  }
  if (parts.length === 1) return parts[0]!;
  const data = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    data.set(p, o);
    o += p.length;
  }
  return data;
}
