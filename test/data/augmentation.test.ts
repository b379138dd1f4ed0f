import { describe, expect, it } from 'vitest';
import { Augmenter, type PatchBatch } from '../../src/data/index.js';

/** One 3×3 2D patch, 1 channel, image = label = 0..8 (row-major [x, y]). */
function batch(): PatchBatch {
  return {
    images: Float32Array.from({ length: 9 }, (_, i) => i),
    labels: Int32Array.from({ length: 9 }, (_, i) => i),
    imageShape: [1, 3, 3, 1],
    labelShape: [1, 3, 3, 1],
    cases: [0],
    origins: [[0, 0]],
    centreClasses: [-1],
    foregroundFractions: [1],
  };
}

describe('Augmenter', () => {
  it('is off by default: the batch is untouched', () => {
    const aug = new Augmenter();
    expect(aug.isIdentity).toBe(true);
    const b = aug.augment(batch());
    expect(Array.from(b.images)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('flips axis 0 and axis 1 exactly, images and labels alike', () => {
    const b0 = new Augmenter({ flip: { axes: [0], probability: 1 } }).augment(batch());
    expect(Array.from(b0.images)).toEqual([6, 7, 8, 3, 4, 5, 0, 1, 2]);
    expect(Array.from(b0.labels)).toEqual([6, 7, 8, 3, 4, 5, 0, 1, 2]);
    const b1 = new Augmenter({ flip: { axes: [1], probability: 1 } }).augment(batch());
    expect(Array.from(b1.images)).toEqual([2, 1, 0, 5, 4, 3, 8, 7, 6]);
  });

  it('rotates by multiples of 90° (a permutation consistent between image and label), seeded', () => {
    const rotations = new Set<string>();
    const aug = new Augmenter({ rotate90: { axes: [0, 1], probability: 1 }, seed: 3 });
    for (let i = 0; i < 30; i++) {
      const b = aug.augment(batch());
      expect(Array.from(b.images)).toEqual(Array.from(b.labels));
      expect([...b.labels].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
      expect(b.labels[4]).toBe(4); // the centre stays
      rotations.add(Array.from(b.labels).join(','));
    }
    // the three non-trivial rotations, and nothing else
    expect([...rotations].sort()).toEqual(['2,5,8,1,4,7,0,3,6', '6,3,0,7,4,1,8,5,2', '8,7,6,5,4,3,2,1,0'].sort());
  });

  it('scales and shifts intensities within range, reproducibly from the state', () => {
    const aug = new Augmenter({ intensityScale: [2, 3], intensityShift: [-1, 1], seed: 8 });
    const state = aug.getState();
    const b = aug.augment(batch());
    const scale = b.images[1]! - b.images[0]!;
    expect(scale).toBeGreaterThanOrEqual(2);
    expect(scale).toBeLessThanOrEqual(3);
    expect(b.images[0]).toBeGreaterThanOrEqual(-1);
    expect(b.images[0]).toBeLessThanOrEqual(1);
    expect(Array.from(b.labels)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    aug.setState(state);
    expect(Array.from(aug.augment(batch()).images)).toEqual(Array.from(b.images));
  });

  it('refuses bad options', () => {
    expect(() => new Augmenter({ flip: { axes: [0], probability: 2 } })).toThrow(/flip\.probability must be in \[0, 1\], got 2/);
    expect(() => new Augmenter({ intensityScale: [3, 2] })).toThrow(/intensityScale must be \[lo, hi\]/);
    const rect: PatchBatch = { ...batch(), images: new Float32Array(6), labels: new Int32Array(6), imageShape: [1, 3, 2, 1], labelShape: [1, 3, 2, 1] };
    expect(() => new Augmenter({ rotate90: { axes: [0, 1] } }).augment(rect)).toThrow(/rotate90 axes \[0, 1\] need equal patch extents, patch is \[3, 2\]/);
  });
});
