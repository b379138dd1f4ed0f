import * as tf from '@tensorflow/tfjs';
import type { GradConfig, NamedAttrMap, Tensor } from '@tensorflow/tfjs';

/**
 * Gradient of `FusedBatchNorm` (`tf.batchNorm`) for inputs of rank 5 and more. TF.js 4.22's own
 * gradient tiles the statistics to rank 4 and fails on 3D volumes ([N, D, H, W, C]); this one uses
 * broadcasting, which works for any rank, and defers to the previous gradient for ranks up to 4.
 *
 *   y = (x - mean) · rsqrt(variance + ε) · scale + offset
 *
 * Each parameter's gradient is summed over the axes along which it was broadcast.
 * (The Layers `batchNormalization` layer rejects rank 5 before reaching this kernel; gendice's
 * `BatchNormalizationND` layer in src/networks/layers is the layer-level path.)
 */
export function batchNormGradConfig(previous: GradConfig | undefined): GradConfig {
  return {
    kernelName: 'FusedBatchNorm',
    inputsToSave: ['x', 'mean', 'variance', 'scale'],
    gradFunc: (dyIn: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
      const [x, mean, variance, scale] = saved as [Tensor, Tensor, Tensor, Tensor | undefined];
      if (x.rank <= 4 && previous !== undefined) return previous.gradFunc(dyIn, saved, attrs);
      const dy = dyIn as Tensor;
      const epsilon = (attrs['varianceEpsilon'] as number | undefined) ?? 0.001;
      const scaleValue: Tensor = scale ?? tf.scalar(1);
      const invStd = (): Tensor => tf.rsqrt(tf.add(variance, epsilon));
      return {
        x: () => tf.mul(tf.mul(dy, invStd()), scaleValue),
        mean: () => sumTo(tf.neg(tf.mul(tf.mul(dy, invStd()), scaleValue)), mean.shape),
        variance: () => {
          const s = invStd();
          const cube = tf.mul(tf.mul(s, s), s);
          return sumTo(tf.mul(tf.mul(tf.mul(tf.sub(x, mean), dy), scaleValue), tf.mul(cube, -0.5)), variance.shape);
        },
        scale: () => sumTo(tf.mul(tf.mul(dy, tf.sub(x, mean)), invStd()), scale?.shape ?? []),
        offset: () => sumTo(dy, mean.shape),
      };
    },
  };
}

/** Sums `t` over the axes along which a tensor of `shape` was broadcast to t's shape. */
function sumTo(t: Tensor, shape: readonly number[]): Tensor {
  const axes: number[] = [];
  const lead = t.rank - shape.length;
  for (let i = 0; i < t.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && t.shape[i] !== 1)) axes.push(i);
  }
  const summed = axes.length > 0 ? tf.sum(t, axes) : t;
  return tf.reshape(summed, [...shape]);
}
