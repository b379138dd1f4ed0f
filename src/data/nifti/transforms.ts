import type { FailNifti } from './niftiError.js';

/** qform parameters: quaternion (b, c, d; a ≥ 0 implied), offsets and qfac (the sign of the third axis). */
export interface Qform {
  b: number;
  c: number;
  d: number;
  offset: [number, number, number];
  qfac: number;
}

/** Determinant of the 3×3 part of a row-major 4×4 (for 2D volumes, the area spanned by the in-plane columns). */
export function linearDeterminant(a: readonly number[], rank: number): number {
  const m = (r: number, c: number): number => a[r * 4 + c]!;
  if (rank === 2) {
    const x = [m(0, 0), m(1, 0), m(2, 0)];
    const y = [m(0, 1), m(1, 1), m(2, 1)];
    return Math.hypot(x[1]! * y[2]! - x[2]! * y[1]!, x[2]! * y[0]! - x[0]! * y[2]!, x[0]! * y[1]! - x[1]! * y[0]!);
  }
  return (
    m(0, 0) * (m(1, 1) * m(2, 2) - m(1, 2) * m(2, 1)) -
    m(0, 1) * (m(1, 0) * m(2, 2) - m(1, 2) * m(2, 0)) +
    m(0, 2) * (m(1, 0) * m(2, 1) - m(1, 1) * m(2, 0))
  );
}

/** The sform rows as a 4×4 row-major affine; refuses non-finite or singular rows (field `srow`). */
export function sformAffine(rows: number[], sformCode: number, rank: number, fail: FailNifti): number[] {
  const a = [...rows, 0, 0, 0, 1];
  if (!a.every(Number.isFinite)) fail('srow', `sform_code is ${sformCode} but srow_x/y/z hold non-finite values [${rows.join(', ')}]`);
  if (Math.abs(linearDeterminant(a, rank)) < 1e-12) fail('srow', `sform_code is ${sformCode} but the sform is singular [${rows.join(', ')}]`);
  return a;
}

/**
 * The qform affine (NIfTI "method 2"): R(a, b, c, d) · diag(pixdim[1], pixdim[2], qfac·pixdim[3]) plus the
 * offsets, with a = √(1 − b² − c² − d²) and qfac = −1 when pixdim[0] < 0 (else 1).
 */
export function qformAffine(q: Qform, pixdim: readonly number[], qformCode: number, rank: number, fail: FailNifti): number[] {
  const values = [q.b, q.c, q.d, ...q.offset];
  if (!values.every(Number.isFinite)) fail('quatern', `qform_code is ${qformCode} but quatern_b/c/d, qoffset_x/y/z hold [${values.join(', ')}]`);
  let { b, c, d } = q;
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
  const p3 = pixdim[3]!;
  const scale = [pixdim[1]!, pixdim[2]!, (rank === 3 ? p3 : p3 > 0 ? p3 : 1) * q.qfac];
  const out: number[] = [];
  for (let r = 0; r < 3; r++) {
    for (let k = 0; k < 3; k++) out.push(R[r * 3 + k]! * scale[k]!);
    out.push(q.offset[r]!);
  }
  out.push(0, 0, 0, 1);
  return out;
}

/** NIfTI "method 1": diag(pixdim) with zero offset (pixdim[3] read as 1 for a 2D image that leaves it unset). */
export function pixdimAffine(pixdim: readonly number[], rank: number): number[] {
  const p3 = pixdim[3]!;
  const z = rank === 3 || (Number.isFinite(p3) && p3 > 0) ? p3 : 1;
  return [pixdim[1]!, 0, 0, 0, 0, pixdim[2]!, 0, 0, 0, 0, z, 0, 0, 0, 0, 1];
}

/** The qform closest to a rotation-and-scaling affine, or undefined when it has shear or does not match the spacing. */
export function affineToQform(affine: readonly number[], spacing: readonly number[]): Qform | undefined {
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
  // R[k] are the columns; m(r, c) is the rotation matrix entry.
  const m = (r: number, c: number): number => R[c]![r]!;
  const det =
    m(0, 0) * (m(1, 1) * m(2, 2) - m(1, 2) * m(2, 1)) -
    m(0, 1) * (m(1, 0) * m(2, 2) - m(1, 2) * m(2, 0)) +
    m(0, 2) * (m(1, 0) * m(2, 1) - m(1, 1) * m(2, 0));
  let qfac = 1;
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
  return { b, c, d, offset: [affine[3]!, affine[7]!, affine[11]!], qfac };
}
