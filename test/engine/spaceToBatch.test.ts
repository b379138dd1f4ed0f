import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { composedBatchToSpace, composedSpaceToBatch } from '../../src/engine/gradients/spaceToBatch.js';

// The rank-5 space-to-batch that webgl lacks, composed from pad/reshape/transpose/slice, against TF.js's
// own kernels on cpu: same values in the same batch order.
const cases: { shape: number[]; block: number[]; pads: [number, number][] }[] = [
  { shape: [1, 4, 6, 4, 2], block: [2, 2, 2], pads: [[0, 0], [0, 0], [0, 0]] },
  { shape: [2, 3, 5, 4, 3], block: [2, 3, 1], pads: [[1, 0], [0, 1], [2, 2]] },
  { shape: [1, 5, 3, 6, 1], block: [1, 3, 4], pads: [[0, 1], [2, 1], [1, 1]] },
  { shape: [2, 6, 4, 2], block: [3, 2], pads: [[0, 0], [1, 1]] },
];

describe.each(cases)('composed space-to-batch, x $shape, block $block, pads $pads', ({ shape, block, pads }) => {
  it('equals tf.spaceToBatchND, and batchToSpace undoes it like tf.batchToSpaceND', () => {
    tf.setBackend('cpu');
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const x = tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i), shape);
      const expected = tf.spaceToBatchND(x, block, pads);
      const got = composedSpaceToBatch(x, block, pads);
      expect(got.shape).toEqual(expected.shape);
      expect(Array.from(got.dataSync())).toEqual(Array.from(expected.dataSync()));
      const back = composedBatchToSpace(got, block, pads);
      expect(back.shape).toEqual(shape);
      expect(Array.from(back.dataSync())).toEqual(Array.from(tf.batchToSpaceND(expected, block, pads).dataSync()));
      expect(Array.from(back.dataSync())).toEqual(Array.from(x.dataSync()));
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});
