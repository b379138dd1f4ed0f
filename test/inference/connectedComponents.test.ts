import { describe, expect, it } from 'vitest';
import { connectedComponents, keepLargestComponent } from '../../src/inference/index.js';

/** A 2D mask from rows of '#' (foreground) and '.', row = first axis. */
function grid(rows: string[]): { mask: Uint8Array; shape: number[] } {
  return { mask: Uint8Array.from(rows.join('').split(''), (ch) => (ch === '.' ? 0 : ch === '#' ? 1 : Number(ch))), shape: [rows.length, rows[0]!.length] };
}

describe('connectedComponents', () => {
  // Two diagonal neighbours: apart with 4-connectivity, one component with 8.
  const diagonal = grid(['#..', '.#.', '..#']);

  it('2D: 4-connectivity (face) keeps diagonal neighbours apart, 8-connectivity (full) joins them', () => {
    expect(connectedComponents(diagonal.mask, diagonal.shape, 'face')).toMatchObject({ count: 3, sizes: [1, 1, 1] });
    expect(Array.from(connectedComponents(diagonal.mask, diagonal.shape, 'face').labels)).toEqual([1, 0, 0, 0, 2, 0, 0, 0, 3]);
    expect(connectedComponents(diagonal.mask, diagonal.shape, 'full')).toMatchObject({ count: 1, sizes: [3] });
  });

  it('2D: components numbered in scan order with their sizes (hand-counted)', () => {
    const g = grid(['##..#', '#...#', '..#..', '.###.']);
    const cc = connectedComponents(g.mask, g.shape);
    expect(cc.count).toBe(3);
    expect(cc.sizes).toEqual([3, 2, 4]);
    expect(Array.from(cc.labels)).toEqual([1, 1, 0, 0, 2, 1, 0, 0, 0, 2, 0, 0, 3, 0, 0, 0, 3, 3, 3, 0]);
  });

  it('3D: 6-connectivity (face) vs 26 (full) on face, edge and corner neighbours', () => {
    // 3×3×3 with the centre voxel, a face neighbour, an edge neighbour and a corner neighbour of it.
    const shape = [3, 3, 3];
    const at = (x: number, y: number, z: number): number => (x * 3 + y) * 3 + z;
    const mask = new Uint8Array(27);
    for (const [x, y, z] of [[1, 1, 1], [1, 1, 2], [0, 0, 1], [2, 2, 2]] as const) mask[at(x, y, z)] = 1;
    const face = connectedComponents(mask, shape, 'face');
    expect(face.count).toBe(3);
    expect(face.labels[at(1, 1, 1)]).toBe(face.labels[at(1, 1, 2)]);
    expect(face.labels[at(0, 0, 1)]).not.toBe(face.labels[at(1, 1, 1)]);
    expect(connectedComponents(mask, shape, 'full')).toMatchObject({ count: 1, sizes: [4] });
  });

  it('3D: a component that winds through the volume is one', () => {
    // x = 0: a row along z and one voxel off its end along y; x = 1: the same row and one voxel off its start.
    // Every voxel meets the next through a face; (0, 1, 2) and (1, 1, 0) meet nothing else.
    const shape = [2, 2, 3];
    const mask = Uint8Array.from([1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 0, 0]);
    expect(connectedComponents(mask, shape, 'face')).toMatchObject({ count: 1, sizes: [8] });
    // Without the x = 1 row, (1, 1, 0) touches (0, 0, 0) along an edge only: apart with 6, joined with 26.
    const split = Uint8Array.from([1, 1, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0]);
    expect(connectedComponents(split, shape, 'face')).toMatchObject({ count: 2, sizes: [4, 1] });
    expect(connectedComponents(split, shape, 'full')).toMatchObject({ count: 1, sizes: [5] });
  });

  it('names bad input', () => {
    expect(() => connectedComponents(new Uint8Array(5), [2, 2])).toThrow(/^connectedComponents: mask has 5 values but shape \[2, 2\] holds 4/);
    expect(() => connectedComponents(new Uint8Array(4), [2, 2], 'corner' as 'face')).toThrow(/^connectedComponents: connectivity must be one of 'face', 'full'; got 'corner'/);
    expect(() => connectedComponents(new Uint8Array(4), [4])).toThrow(/^connectedComponents: shape must be 2 or 3 positive integers/);
  });
});

describe('keepLargestComponent', () => {
  it('removes the smaller components of one label only, to background', () => {
    const g = grid(['11.2', '1..2', '...2', '1.22']);
    const out = keepLargestComponent(Int32Array.from(g.mask), g.shape, 1);
    expect(Array.from(out)).toEqual([1, 1, 0, 2, 1, 0, 0, 2, 0, 0, 0, 2, 0, 0, 2, 2]);
    // The input is not changed.
    expect(g.mask[12]).toBe(1);
  });

  it('keeps the first of equal components in scan order', () => {
    const g = grid(['1.1']);
    expect(Array.from(keepLargestComponent(g.mask, g.shape, 1))).toEqual([1, 0, 0]);
  });
});
