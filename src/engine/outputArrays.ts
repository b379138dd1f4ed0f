/**
 * Output arrays for kernels that write every element of their output.
 *
 * `new Float32Array(n)` zero-fills: for the 540 MB of outputs of one 2D U-Net training step that is a
 * single-threaded memset of every byte before the kernel overwrites it (calloc must clear memory it reuses
 * from the heap). In Node, `Buffer.allocUnsafeSlow` takes the same malloc'd memory without clearing it.
 * Only a kernel that provably writes all of its output may take such an array: a missed element would be
 * whatever the memory held before, and results would stop being reproducible. Elsewhere (a browser, or a
 * runtime without Buffer) this is an ordinary zeroed Float32Array.
 *
 * `GENDICE_POISON_OUTPUTS=1` in the environment fills every such array with NaN instead, so that a kernel
 * that misses an element shows it in any test that compares its output (`npm run test:poison` runs the
 * engine suite so).
 */

interface BufferLike {
  allocUnsafeSlow(size: number): Uint8Array;
}

const nodeBuffer = (globalThis as { Buffer?: BufferLike }).Buffer;
const poison = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.GENDICE_POISON_OUTPUTS === '1';
const unsafeSlow = typeof nodeBuffer?.allocUnsafeSlow === 'function' ? nodeBuffer.allocUnsafeSlow.bind(nodeBuffer) : undefined;

/** Below this many bytes a zeroed array costs no more (V8 allocates small arrays on its own heap). */
const MIN_UNINITIALISED_BYTES = 1 << 16;

/** Switch for benchmarks that compare with zero-filled outputs in one process (on by default). */
export const outputArrayTuning = { uninitialised: true };

/** A float32 array of `n` elements whose contents are unspecified (zero outside Node): the caller must write every element. */
export function uninitialisedFloat32(n: number): Float32Array {
  if (poison) return new Float32Array(n).fill(Number.NaN);
  const bytes = n * 4;
  if (unsafeSlow === undefined || !outputArrayTuning.uninitialised || bytes < MIN_UNINITIALISED_BYTES) return new Float32Array(n);
  const b = unsafeSlow(bytes);
  return new Float32Array(b.buffer, b.byteOffset, n);
}
