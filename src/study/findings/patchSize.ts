/** A trial's spatial patch size, 2 or 3 numbers (`[64, 64]`). */
export type PatchSize = readonly number[];

/** The label of a patch size, for display: `64x64`. */
export function patchLabel(patchSize: PatchSize): string {
  return patchSize.join('x');
}

/** The number of voxels of a patch. */
export function patchVoxels(patchSize: PatchSize): number {
  return patchSize.reduce((a, b) => a * b, 1);
}

export function samePatch(a: PatchSize, b: PatchSize): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
