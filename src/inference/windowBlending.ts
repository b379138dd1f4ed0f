import { nativeWindowBlend } from '../engine/index.js';

/**
 * The memory-bound steps of sliding-window inference around the network, on a 3D grid (a 2D image is one
 * slice deep), channels last: gathering a window from the image, accumulating its weighted outputs, and
 * the final division. The accumulation and the division run in the addon's C++ on the native engine and
 * in the JS loops below elsewhere; both give the same bits (float64 `acc + weight · value`, in window order).
 */

/**
 * Copies the window of size `window` whose first voxel is `origin` (which may lie outside the image) from
 * `image` [...shape, channels] into `dst` from `offset`, `padValue` outside the image. By z-runs: each
 * (x, y) row of the window is one contiguous copy, framed by padding where it leaves the image.
 */
export function gatherWindow(image: Float32Array, shape: readonly number[], channels: number, origin: readonly number[], window: readonly number[], padValue: number, dst: Float32Array, offset: number): void {
  const [D0, D1, D2] = [shape[0]!, shape[1]!, shape[2]!];
  const [W0, W1, W2] = [window[0]!, window[1]!, window[2]!];
  const [x0, y0, z0] = [origin[0]!, origin[1]!, origin[2]!];
  const zLo = Math.min(W2, Math.max(0, -z0));
  const zHi = Math.max(zLo, Math.min(W2, D2 - z0));
  const run = W2 * channels;
  for (let i = 0; i < W0; i++) {
    const x = x0 + i;
    for (let j = 0; j < W1; j++) {
      const y = y0 + j;
      const row = offset + (i * W1 + j) * run;
      if (x < 0 || y < 0 || x >= D0 || y >= D1 || zHi === zLo) {
        dst.fill(padValue, row, row + run);
        continue;
      }
      if (zLo > 0) dst.fill(padValue, row, row + zLo * channels);
      const src = ((x * D1 + y) * D2 + z0 + zLo) * channels;
      dst.set(image.subarray(src, src + (zHi - zLo) * channels), row + zLo * channels);
      if (zHi < W2) dst.fill(padValue, row + zHi * channels, row + run);
    }
  }
}

/**
 * For each voxel of `box` (row-major; `weights` over the box, `values` [box, channels] from `valuesOffset`),
 * the cell of `grid` at `start` + voxel: weightSums[cell] += w, acc[cell·channels + c] += w · value.
 */
export function blendWindow(acc: Float64Array, weightSums: Float64Array, grid: readonly number[], channels: number, values: Float32Array, valuesOffset: number, weights: Float64Array, box: readonly number[], start: readonly number[]): void {
  const native = nativeWindowBlend();
  if (native !== undefined) return native.blendWindow(acc, weightSums, [...grid], channels, values, valuesOffset, weights, [...box], [...start]);
  const [G1, G2] = [grid[1]!, grid[2]!];
  const [B0, B1, B2] = [box[0]!, box[1]!, box[2]!];
  let src = valuesOffset;
  let w = 0;
  for (let i = 0; i < B0; i++)
    for (let j = 0; j < B1; j++) {
      let cell = ((start[0]! + i) * G1 + start[1]! + j) * G2 + start[2]!;
      for (let k = 0; k < B2; k++, w++, cell++) {
        const weight = weights[w]!;
        weightSums[cell] = weightSums[cell]! + weight;
        for (let c = 0, a = cell * channels; c < channels; c++, a++, src++) acc[a] = acc[a]! + weight * values[src]!;
      }
    }
}

/** out [extent, channels] = acc / weightSums (rounded to float32) over the corner `extent` of `grid`. */
export function normaliseBlend(acc: Float64Array, weightSums: Float64Array, grid: readonly number[], channels: number, extent: readonly number[], out: Float32Array): void {
  const native = nativeWindowBlend();
  if (native !== undefined) return native.normaliseBlend(acc, weightSums, [...grid], channels, [...extent], out);
  const [G1, G2] = [grid[1]!, grid[2]!];
  let dst = 0;
  for (let x = 0; x < extent[0]!; x++)
    for (let y = 0; y < extent[1]!; y++) {
      let cell = (x * G1 + y) * G2;
      for (let z = 0; z < extent[2]!; z++, cell++) {
        const sum = weightSums[cell]!;
        for (let c = 0, a = cell * channels; c < channels; c++, a++) out[dst++] = acc[a]! / sum;
      }
    }
}
