import { gzipSync, Inflate } from 'fflate';
import { crc32 } from './crc32.js';
import { isGzip, memberDataOffset, type RawInflater } from './gzip.js';
import type { FailNifti } from './niftiError.js';

/**
 * The pure-JS deflate path (browsers, and `parseNifti` everywhere): fflate's streaming `Inflate`, which
 * itself checks nothing of gzip; the member walk, CRC32 and ISIZE checks are `gunzipVerified`'s.
 *
 * fflate does not report where a deflate stream ends, which member parsing needs. Its `Inflate` keeps the
 * unconsumed input in `p` and the bit position within it in `s.p`; the stream has ended when the final
 * block has been read (`s.f`) and no block is open (`s.l`). These are read here, and the reader fails
 * closed (refuses the file) if a future fflate lays them out differently.
 */
interface InflateInternals {
  p: Uint8Array;
  s: { f?: number; l?: unknown; p?: number };
}

function internals(inflater: Inflate): InflateInternals {
  const raw = inflater as unknown as Partial<InflateInternals>;
  const s = raw.s;
  if (!(raw.p instanceof Uint8Array) || typeof s !== 'object' || s === null || (s.p !== undefined && typeof s.p !== 'number')) {
    throw new Error('this fflate version does not expose the deflate stream state gendice reads; cannot verify gzip');
  }
  return raw as InflateInternals;
}

interface Run {
  chunks: Uint8Array[];
  total: number;
  /** Input bytes taken by the stream, or undefined when it stopped at the limit before ending. */
  consumed: number | undefined;
}

/** Inflates from the start of `input` in steps of `step` input bytes until the stream ends or the output passes `limit`. */
function run(input: Uint8Array, limit: number, step: number): Run {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const inflate = new Inflate((chunk) => {
    chunks.push(chunk);
    total += chunk.length;
  });
  let fed = 0;
  for (;;) {
    const end = Math.min(input.length, fed + step);
    inflate.push(input.subarray(fed, end), end === input.length);
    fed = end;
    const st = internals(inflate);
    if (st.s.f && !st.s.l) return { chunks, total, consumed: fed - st.p.length + (((st.s.p ?? 0) + 7) >> 3) };
    if (total > limit) return { chunks, total, consumed: undefined };
    // fflate throws on the final push of an unfinished stream; this line guards against a version that does not.
    if (end === input.length) throw new Error('unexpected end of deflate stream');
  }
}

function join(chunks: Uint8Array[], length: number): Uint8Array {
  if (chunks.length === 1 && chunks[0]!.length === length) return chunks[0]!;
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

/** fflate + gendice's CRC32: the verified gzip path where Node's zlib is missing. */
export const pureInflater: RawInflater = {
  inflate(input, limit) {
    const r = run(input, limit, 1 << 16);
    if (r.consumed === undefined || r.total > limit) return undefined;
    return { output: join(r.chunks, r.total), consumed: r.consumed };
  },
  crc32: (data) => crc32(data),
};

/**
 * The first `want` inflated bytes of a gzip stream (across members), unverified: enough to read the header
 * before deciding whether the whole stream is worth inflating. Shorter when the stream holds less.
 */
export function gunzipPrefix(bytes: Uint8Array, want: number, fail: FailNifti): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  let at = 0;
  let member = 0;
  while (total < want && at < bytes.length && isGzip(bytes.subarray(at, at + 2))) {
    member++;
    const start = memberDataOffset(bytes, at, member, fail);
    if (start === bytes.length) break; // a bare member header: the stream holds nothing more
    let r: Run;
    try {
      r = run(bytes.subarray(start), want - total, 512);
    } catch (err) {
      fail('gzip', `gzip member ${member}: corrupt or truncated gzip stream (deflate: ${err instanceof Error ? err.message : String(err)})`);
    }
    parts.push(...r.chunks);
    total += r.total;
    if (r.consumed === undefined) break;
    at = start + r.consumed + 8;
    while (at < bytes.length && bytes[at] === 0) at++;
  }
  return join(parts, Math.min(total, want));
}

/** gzip through fflate (one member, its CRC32 and ISIZE written by fflate). */
export function gzipPure(data: Uint8Array, level: number): Uint8Array {
  return gzipSync(data, { level: level as 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 });
}
