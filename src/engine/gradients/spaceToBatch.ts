import * as tf from '@tensorflow/tfjs';
import type { Tensor } from '@tensorflow/tfjs';

/**
 * `tf.spaceToBatchND` / `tf.batchToSpaceND` for the dilated-convolution gradients, also for 3D volumes
 * on backends that lack the rank-5 kernels: TF.js 4.22's webgl (and webgpu) throw "spaceToBatchND for
 * rank > 4 with a WebGL backend not implemented yet". There, the rearrangement is composed from pad,
 * reshape, transpose and slice, one spatial axis at a time (never above rank 5), with TF.js's batch
 * order: output batch = (block offset, row-major over the block axes) · N + n.
 */
const composedBackends = new Set(['webgl', 'webgpu']);

function composed(x: Tensor): boolean {
  return x.rank > 4 && composedBackends.has(tf.getBackend());
}

export function spaceToBatch(x: Tensor, block: number[], paddings: [number, number][]): Tensor {
  return composed(x) ? composedSpaceToBatch(x, block, paddings) : tf.spaceToBatchND(x, block, paddings);
}

export function batchToSpace(x: Tensor, block: number[], crops: [number, number][]): Tensor {
  return composed(x) ? composedBatchToSpace(x, block, crops) : tf.batchToSpaceND(x, block, crops);
}

/** `tf.spaceToBatchND` from pad, reshape and transpose (channels-last x, any number of spatial axes). */
export function composedSpaceToBatch(x: Tensor, block: number[], paddings: [number, number][]): Tensor {
  return tf.tidy(() => {
    let t = tf.pad(x, [[0, 0], ...paddings, [0, 0]]);
    // Last spatial axis first, so that the first axis's offset ends up most significant in the batch.
    for (let a = block.length - 1; a >= 0; a--) {
      const b = block[a]!;
      if (b === 1) continue;
      const s = t.shape;
      const outer = s.slice(0, a + 1).reduce((p, q) => p * q, 1);
      const inner = s.slice(a + 2).reduce((p, q) => p * q, 1);
      const size = s[a + 1]! / b;
      // [batch·spatial before a, size, b, rest] → [b, batch·spatial before a, size, rest]
      const moved = tf.transpose(tf.reshape(t, [outer, size, b, inner]), [2, 0, 1, 3]);
      t = tf.reshape(moved, [s[0]! * b, ...s.slice(1, a + 1), size, ...s.slice(a + 2)]);
    }
    return t;
  });
}

/** `tf.batchToSpaceND` from reshape, transpose and slice (the inverse of composedSpaceToBatch). */
export function composedBatchToSpace(x: Tensor, block: number[], crops: [number, number][]): Tensor {
  return tf.tidy(() => {
    let t: Tensor = x;
    for (let a = 0; a < block.length; a++) {
      const b = block[a]!;
      if (b === 1) continue;
      const s = t.shape;
      const batch = s[0]! / b;
      const mid = s.slice(1, a + 2).reduce((p, q) => p * q, 1);
      const inner = s.slice(a + 2).reduce((p, q) => p * q, 1);
      // [b, batch, spatial up to a, rest] → [batch, spatial up to a, b, rest]
      const moved = tf.transpose(tf.reshape(t, [b, batch, mid, inner]), [1, 2, 0, 3]);
      t = tf.reshape(moved, [batch, ...s.slice(1, a + 1), s[a + 1]! * b, ...s.slice(a + 2)]);
    }
    const begin = [0, ...crops.map(([c]) => c), 0];
    const size = t.shape.map((d, i) => (i === 0 || i === t.rank - 1 ? d : d - crops[i - 1]![0] - crops[i - 1]![1]));
    return tf.slice(t, begin, size);
  });
}
