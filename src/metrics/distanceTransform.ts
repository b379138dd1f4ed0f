/**
 * Exact Euclidean distance transform in linear time (Felzenszwalb & Huttenlocher, "Distance Transforms
 * of Sampled Functions", Theory of Computing 8, 2012): a lower envelope of parabolas along each axis in
 * turn, with the axis weighted by its squared spacing, so anisotropic voxels are exact.
 */

/** Lines transformed together on strided axes (16 doubles = two cache lines). */
const BLOCK = 16;

function checkShape(name: string, length: number, shape: readonly number[], spacing: readonly number[]): void {
  if (shape.length < 1) throw new Error(`${name}: shape must have at least one axis, got []`);
  if (spacing.length !== shape.length) {
    throw new Error(`${name}: spacing has ${spacing.length} entries for a ${shape.length}D shape [${shape.join(',')}]`);
  }
  for (const s of spacing) {
    if (!Number.isFinite(s) || s <= 0) throw new Error(`${name}: spacing must hold finite positive numbers, got [${spacing.join(',')}]`);
  }
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== length) throw new Error(`${name}: ${length} values but shape [${shape.join(',')}] needs ${size}`);
}

/**
 * One pass of the 1D transform, in place on `f[base + j*stride]`, j < n:
 * `d(q) = min_p w (q−p)² + f(p)`. Scratch arrays: `v` (n), `z` (n+1), `g` (n).
 */
function transformLine(f: Float64Array, base: number, stride: number, n: number, w: number, v: Int32Array, z: Float64Array, g: Float64Array): void {
  let k = -1;
  for (let q = 0, o = base; q < n; q++, o += stride) {
    const fq = f[o]!;
    g[q] = fq;
    if (fq === Infinity) continue;
    const fqq = fq + w * q * q;
    if (k < 0) {
      k = 0;
      v[0] = q;
      z[0] = -Infinity;
      z[1] = Infinity;
      continue;
    }
    let p = v[k]!;
    let s = (fqq - (g[p]! + w * p * p)) / (2 * w * (q - p));
    while (s <= z[k]!) {
      k--;
      p = v[k]!;
      s = (fqq - (g[p]! + w * p * p)) / (2 * w * (q - p));
    }
    k++;
    v[k] = q;
    z[k] = s;
    z[k + 1] = Infinity;
  }
  if (k < 0) return; // no finite value on this line: it stays at +∞
  k = 0;
  for (let q = 0, o = base; q < n; q++, o += stride) {
    while (z[k + 1]! < q) k++;
    const p = v[k]!;
    const d = q - p;
    f[o] = w * d * d + g[p]!;
  }
}

/** The first axis of a binary image: squared distance to the nearest feature on the line, by two scans. */
function binaryLine(f: Float64Array, base: number, stride: number, n: number, w: number): void {
  let last = -1;
  for (let q = 0, o = base; q < n; q++, o += stride) {
    if (f[o] === 0) last = q;
    else if (last >= 0) {
      const d = q - last;
      f[o] = w * d * d;
    }
  }
  last = -1;
  for (let q = n - 1, o = base + (n - 1) * stride; q >= 0; q--, o -= stride) {
    if (f[o] === 0) last = q;
    else if (last >= 0) {
      const d = last - q;
      const dd = w * d * d;
      if (dd < f[o]!) f[o] = dd;
    }
  }
}

/**
 * Squared Euclidean distance (in squared spacing units, e.g. mm²) from every element to the nearest
 * element where `features` is non-zero; +∞ everywhere when there is no feature. `shape` is row-major
 * (last axis fastest), `spacing` one entry per axis. Time and memory linear in the number of elements.
 */
export function squaredDistanceTransform(features: ArrayLike<number>, shape: readonly number[], spacing: readonly number[]): Float64Array {
  checkShape('squaredDistanceTransform', features.length, shape, spacing);
  const size = features.length;
  const f = new Float64Array(size);
  let any = false;
  for (let i = 0; i < size; i++) {
    if (features[i] !== 0) {
      any = true;
    } else f[i] = Infinity;
  }
  if (!any) return f;
  const dims = shape.length;
  const maxN = Math.max(...shape);
  const v = new Int32Array(maxN);
  const z = new Float64Array(maxN + 1);
  const g = new Float64Array(maxN);
  const block = new Float64Array(BLOCK * maxN);
  // Last (contiguous) axis first, with the cheap binary scan; then the others with parabola envelopes.
  for (let step = 0; step < dims; step++) {
    const axis = dims - 1 - step;
    const n = shape[axis]!;
    const s = spacing[axis]!;
    const w = s * s;
    let inner = 1;
    for (let a = axis + 1; a < dims; a++) inner *= shape[a]!;
    const outer = size / (n * inner);
    for (let o = 0; o < outer; o++) {
      const start = o * n * inner;
      if (inner === 1) {
        if (step === 0) binaryLine(f, start, 1, n, w);
        else transformLine(f, start, 1, n, w, v, z, g);
        continue;
      }
      // Strided lines: copy a block of neighbouring lines into a contiguous buffer (reading whole cache
      // lines), transform them there, and copy back.
      for (let i0 = 0; i0 < inner; i0 += BLOCK) {
        const m = Math.min(BLOCK, inner - i0);
        for (let j = 0; j < n; j++) {
          const src = start + j * inner + i0;
          for (let i = 0; i < m; i++) block[i * n + j] = f[src + i]!;
        }
        for (let i = 0; i < m; i++) {
          if (step === 0) binaryLine(block, i * n, 1, n, w);
          else transformLine(block, i * n, 1, n, w, v, z, g);
        }
        for (let j = 0; j < n; j++) {
          const dst = start + j * inner + i0;
          for (let i = 0; i < m; i++) f[dst + i] = block[i * n + j]!;
        }
      }
    }
  }
  return f;
}

/**
 * Euclidean distance (in spacing units, e.g. mm) from every element to the nearest non-zero element of
 * `features`: the square root of {@link squaredDistanceTransform}. +∞ everywhere without features.
 */
export function distanceTransform(features: ArrayLike<number>, shape: readonly number[], spacing: readonly number[]): Float64Array {
  const f = squaredDistanceTransform(features, shape, spacing);
  for (let i = 0; i < f.length; i++) f[i] = Math.sqrt(f[i]!);
  return f;
}
