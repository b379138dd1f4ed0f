/** Independent brute-force references for the metric tests (all pairs, coordinates, no distance transform). */
import { Random } from '../../src/common/index.js';

export function coords(index: number, shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  for (let a = shape.length - 1; a >= 0; a--) {
    out[a] = index % shape[a]!;
    index = Math.floor(index / shape[a]!);
  }
  return out;
}

export function bruteBoundary(mask: ArrayLike<number>, shape: readonly number[]): number[] {
  const result: number[] = [];
  const strides = shape.map((_, a) => shape.slice(a + 1).reduce((x, y) => x * y, 1));
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    const c = coords(i, shape);
    let edge = false;
    for (let a = 0; a < shape.length && !edge; a++) {
      for (const d of [-1, 1]) {
        const x = c[a]! + d;
        if (x < 0 || x >= shape[a]! || !mask[i + d * strides[a]!]) edge = true;
      }
    }
    if (edge) result.push(i);
  }
  return result;
}

export function bruteDistance(a: number[], b: number[], spacing: readonly number[]): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += ((a[k]! - b[k]!) * spacing[k]!) ** 2;
  return Math.sqrt(s);
}

/** Directed distances from every boundary voxel of `from` to the nearest boundary voxel of `to`, all pairs. */
export function bruteDirected(from: ArrayLike<number>, to: ArrayLike<number>, shape: readonly number[], spacing: readonly number[]): number[] {
  const bf = bruteBoundary(from, shape).map((i) => coords(i, shape));
  const bt = bruteBoundary(to, shape).map((i) => coords(i, shape));
  return bf.map((p) => Math.min(...bt.map((q) => bruteDistance(p, q, spacing))));
}

/** numpy.percentile with linear interpolation. */
export function brutePercentile(values: number[], q: number): number {
  const s = [...values].sort((x, y) => x - y);
  const h = ((s.length - 1) * q) / 100;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return s[lo]! + (h - lo) * (s[hi]! - s[lo]!);
}

/** A random blobby binary mask: a few random boxes, each voxel kept with probability `keep`. */
export function randomMask(rng: Random, shape: readonly number[], boxes = 2, keep = 0.9): Uint8Array {
  const size = shape.reduce((x, y) => x * y, 1);
  const m = new Uint8Array(size);
  for (let k = 0; k < boxes; k++) {
    const lo = shape.map((n) => rng.int(0, n - 1));
    const hi = lo.map((l, a) => Math.min(shape[a]! - 1, l + rng.int(0, Math.max(1, Math.floor(shape[a]! / 2)))));
    for (let i = 0; i < size; i++) {
      const c = coords(i, shape);
      if (c.every((x, a) => x >= lo[a]! && x <= hi[a]!) && rng.next() < keep) m[i] = 1;
    }
  }
  return m;
}
