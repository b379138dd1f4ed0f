/** Per image, the counts of (prediction label << 8 | reference label) of two byte label maps. */
export function jointByteHistograms(p: Uint8Array, r: Uint8Array, batch: number, voxels: number): Int32Array[] {
  const out: Int32Array[] = [];
  for (let b = 0; b < batch; b++) {
    const h = new Int32Array(65536);
    for (let i = b * voxels, end = i + voxels; i < end; i++) h[(p[i]! << 8) | r[i]!]!++;
    out.push(h);
  }
  return out;
}

