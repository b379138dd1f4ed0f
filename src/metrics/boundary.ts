/**
 * The boundary of a binary mask: the mask minus its erosion by the face-connected structuring element
 * (4-neighbourhood in 2D, 6 in 3D). Elements outside the array count as background, so mask elements
 * on the array's border are boundary elements (scipy `binary_erosion`'s default, which MONAI uses).
 * `shape` is row-major, 1 to 3 axes. Returns the boundary (0/1) and its element count.
 */
export function maskBoundary(mask: ArrayLike<number>, shape: readonly number[], out?: Uint8Array): { boundary: Uint8Array; count: number } {
  if (shape.length < 1 || shape.length > 3) throw new Error(`maskBoundary: shape must have 1 to 3 axes, got [${shape.join(',')}]`);
  const size = shape.reduce((a, b) => a * b, 1);
  if (mask.length !== size) throw new Error(`maskBoundary: ${mask.length} values but shape [${shape.join(',')}] needs ${size}`);
  const boundary = out ?? new Uint8Array(size);
  if (boundary.length !== size) throw new Error(`maskBoundary: output has ${boundary.length} elements, expected ${size}`);
  // Pad the shape to 3 axes; padded axes have no neighbours and never make a boundary.
  const pad = 3 - shape.length;
  const full = [...new Array<number>(pad).fill(1), ...shape];
  const n0 = full[0]!;
  const n1 = full[1]!;
  const n2 = full[2]!;
  const real0 = pad === 0;
  const real1 = pad <= 1;
  const s0 = n1 * n2;
  let count = 0;
  for (let i0 = 0; i0 < n0; i0++) {
    const edge0 = real0 && (i0 === 0 || i0 === n0 - 1);
    for (let i1 = 0; i1 < n1; i1++) {
      const edge1 = real1 && (i1 === 0 || i1 === n1 - 1);
      const row = i0 * s0 + i1 * n2;
      for (let i2 = 0; i2 < n2; i2++) {
        const o = row + i2;
        if (mask[o] === 0) {
          boundary[o] = 0;
          continue;
        }
        const isBoundary =
          edge0 ||
          edge1 ||
          i2 === 0 ||
          i2 === n2 - 1 ||
          mask[o - 1] === 0 ||
          mask[o + 1] === 0 ||
          (real1 && (mask[o - n2] === 0 || mask[o + n2] === 0)) ||
          (real0 && (mask[o - s0] === 0 || mask[o + s0] === 0));
        boundary[o] = isBoundary ? 1 : 0;
        if (isBoundary) count++;
      }
    }
  }
  return { boundary, count };
}
