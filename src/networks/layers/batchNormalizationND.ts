import * as tf from '@tensorflow/tfjs';
import { type LayerArgs, single, singleShape } from './common.js';

export interface BatchNormalizationNDArgs extends LayerArgs {
  /** Weight of the old value in the moving averages of mean and variance. Default 0.99 (as Keras). */
  momentum?: number;
  /** Added to the variance before the square root. Default 1e-3 (as Keras). */
  epsilon?: number;
}

/**
 * Batch normalisation (Ioffe & Szegedy 2015) over the last (channel) axis for inputs of any rank,
 * in particular 3D volumes [N, D, H, W, C], which `tf.layers.batchNormalization` rejects
 * ("batchNormalization is not implemented for array of rank 5").
 *
 * Same semantics and weights as Keras's layer with `axis: -1`, `center` and `scale` on: in training
 * (`training: true`, as `fit` and `trainOnBatch` pass) it normalises with the batch mean and
 * (biased) variance and updates `moving_mean`/`moving_variance` with `momentum`; otherwise it uses
 * the moving statistics. Written with sums and broadcasting arithmetic (no `FusedBatchNorm`, whose
 * TF.js gradient is rank 4 only and tiles), so it works for any rank on every backend.
 */
export class BatchNormalizationND extends tf.layers.Layer {
  static className = 'BatchNormalizationND';
  readonly momentum: number;
  readonly epsilon: number;
  private gamma: tf.LayerVariable | undefined;
  private beta: tf.LayerVariable | undefined;
  private movingMean: tf.LayerVariable | undefined;
  private movingVariance: tf.LayerVariable | undefined;

  constructor(args: BatchNormalizationNDArgs = {}) {
    super(args);
    this.momentum = args.momentum ?? 0.99;
    this.epsilon = args.epsilon ?? 1e-3;
    if (!(this.momentum >= 0 && this.momentum <= 1)) {
      throw new Error(`BatchNormalizationND: momentum must be in [0, 1], got ${this.momentum}`);
    }
    if (!(this.epsilon > 0)) throw new Error(`BatchNormalizationND: epsilon must be > 0, got ${this.epsilon}`);
    this.supportsMasking = true;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = singleShape(inputShape, 'BatchNormalizationND');
    const channels = shape[shape.length - 1];
    if (channels == null) throw new Error(`BatchNormalizationND: the channel axis must be known, got shape [${shape}]`);
    this.inputSpec = [{ ndim: shape.length, axes: { [-1]: channels } }];
    this.gamma = this.addWeight('gamma', [channels], 'float32', tf.initializers.ones(), undefined, true);
    this.beta = this.addWeight('beta', [channels], 'float32', tf.initializers.zeros(), undefined, true);
    this.movingMean = this.addWeight('moving_mean', [channels], 'float32', tf.initializers.zeros(), undefined, false);
    this.movingVariance = this.addWeight('moving_variance', [channels], 'float32', tf.initializers.ones(), undefined, false);
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs, 'BatchNormalizationND');
      const { gamma, beta, movingMean, movingVariance } = this.weightsOrThrow();
      if (kwargs['training'] !== true) return affine(x, movingMean.read(), movingVariance.read(), gamma.read(), beta.read(), this.epsilon);
      const axes = [...Array(x.rank - 1).keys()];
      const count = x.size / x.shape[x.rank - 1]!;
      // Sums rather than tf.moments: Sum and broadcasting arithmetic are what engines make fast.
      const mean = tf.div(tf.sum(x, axes), count);
      const variance = tf.div(tf.sum(tf.square(tf.sub(x, mean)), axes), count);
      const y = affine(x, mean, variance, gamma.read(), beta.read(), this.epsilon);
      tf.tidy(() => {
        const decay = 1 - this.momentum;
        const m = movingMean.read();
        const v = movingVariance.read();
        movingMean.write(tf.sub(m, tf.mul(tf.sub(m, mean), decay)));
        movingVariance.write(tf.sub(v, tf.mul(tf.sub(v, variance), decay)));
      });
      return y;
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return singleShape(inputShape, 'BatchNormalizationND');
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), momentum: this.momentum, epsilon: this.epsilon };
  }

  private weightsOrThrow(): Record<'gamma' | 'beta' | 'movingMean' | 'movingVariance', tf.LayerVariable> {
    const { gamma, beta, movingMean, movingVariance } = this;
    if (!gamma || !beta || !movingMean || !movingVariance) throw new Error('BatchNormalizationND: called before build');
    return { gamma, beta, movingMean, movingVariance };
  }
}

/**
 * γ·(x − mean)/√(variance + ε) + β as x·scale + shift with per-channel scale and shift: two full-size
 * broadcasting operations, whose gradients reduce with Sum (any rank, every backend).
 */
function affine(x: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): tf.Tensor {
  const scale = tf.mul(gamma, tf.rsqrt(tf.add(variance, epsilon)));
  const shift = tf.sub(beta, tf.mul(mean, scale));
  return tf.add(tf.mul(x, scale), shift);
}

tf.serialization.registerClass(BatchNormalizationND);
