import { OptionError, oneOf } from '../common/options.js';

/**
 * Which neighbours touch: 'face' (4 in 2D, 6 in 3D: voxels sharing a face, scipy.ndimage.label's
 * default and so nnU-Net's) or 'full' (8 in 2D, 26 in 3D: sharing a face, an edge or a corner).
 */
export const CONNECTIVITIES = ['face', 'full'] as const;
export type Connectivity = (typeof CONNECTIVITIES)[number];

export interface ConnectedComponents {
  /** Per voxel: 0 outside the mask, else the component's number 1..count, numbered in scan (row-major) order. */
  labels: Int32Array;
  count: number;
  /** Voxels of component k at index k - 1. */
  sizes: number[];
}

function checkShape(fn: string, shape: readonly number[], length: number): void {
  if ((shape.length !== 2 && shape.length !== 3) || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new OptionError(fn, 'shape', `must be 2 or 3 positive integers; got [${shape.join(', ')}]`);
  }
  const voxels = shape.reduce((a, d) => a * d, 1);
  if (voxels !== length) throw new OptionError(fn, 'mask', `has ${length} values but shape [${shape.join(', ')}] holds ${voxels}`);
}

/** Offsets (in voxels of a [X, Y, Z] grid, Z fastest) of the neighbours of a connectivity. */
function neighbourSteps(rank: number, connectivity: Connectivity): number[][] {
  const steps: number[][] = [];
  const range = [-1, 0, 1];
  for (const dx of range)
    for (const dy of range)
      for (const dz of rank === 3 ? range : [0]) {
        const moved = Math.abs(dx) + Math.abs(dy) + Math.abs(dz);
        if (moved === 0 || (connectivity === 'face' && moved > 1)) continue;
        steps.push([dx, dy, dz]);
      }
  return steps;
}

/**
 * Labels the connected components of a binary mask (non-zero voxels) on a row-major 2D `[X, Y]` or 3D
 * `[X, Y, Z]` grid, by breadth-first search from each unlabelled voxel in scan order.
 */
export function connectedComponents(mask: ArrayLike<number>, shape: readonly number[], connectivity: Connectivity = 'face'): ConnectedComponents {
  const fn = 'connectedComponents';
  checkShape(fn, shape, mask.length);
  oneOf(fn, 'connectivity', connectivity, CONNECTIVITIES);
  const [X, Y, Z] = [shape[0]!, shape[1]!, shape[2] ?? 1];
  const steps = neighbourSteps(shape.length, connectivity);
  const labels = new Int32Array(mask.length);
  const queue = new Int32Array(mask.length);
  const sizes: number[] = [];
  for (let seed = 0; seed < mask.length; seed++) {
    if (mask[seed] === 0 || labels[seed] !== 0) continue;
    const id = sizes.length + 1;
    let head = 0;
    let tail = 0;
    queue[tail++] = seed;
    labels[seed] = id;
    while (head < tail) {
      const v = queue[head++]!;
      const x = Math.floor(v / (Y * Z));
      const y = Math.floor(v / Z) % Y;
      const z = v % Z;
      for (const [dx, dy, dz] of steps) {
        const nx = x + dx!;
        const ny = y + dy!;
        const nz = z + dz!;
        if (nx < 0 || ny < 0 || nz < 0 || nx >= X || ny >= Y || nz >= Z) continue;
        const n = (nx * Y + ny) * Z + nz;
        if (mask[n] === 0 || labels[n] !== 0) continue;
        labels[n] = id;
        queue[tail++] = n;
      }
    }
    sizes.push(tail);
  }
  return { labels, count: sizes.length, sizes };
}

/**
 * A copy of the label map `labels` where the voxels of `label` outside its largest connected component
 * become background (0), as nnU-Net's "remove all but the largest component". Of components of equal
 * size, the first in scan order is kept. Other labels are untouched.
 */
export function keepLargestComponent<T extends Int32Array | Uint8Array>(labels: T, shape: readonly number[], label: number, connectivity: Connectivity = 'face'): T {
  const fn = 'keepLargestComponent';
  if (!Number.isInteger(label) || label < 1) throw new OptionError(fn, 'label', `must be a foreground label (an integer ≥ 1); got ${label}`);
  const mask = new Uint8Array(labels.length);
  for (let i = 0; i < labels.length; i++) mask[i] = labels[i] === label ? 1 : 0;
  const cc = connectedComponents(mask, shape, connectivity);
  const out = labels.slice() as T;
  if (cc.count <= 1) return out;
  let largest = 1;
  for (let k = 2; k <= cc.count; k++) if (cc.sizes[k - 1]! > cc.sizes[largest - 1]!) largest = k;
  for (let i = 0; i < out.length; i++) if (cc.labels[i] !== 0 && cc.labels[i] !== largest) out[i] = 0;
  return out;
}
