import * as tf from '@tensorflow/tfjs';
import { type LayerArgs, single, singleShape } from './common.js';

export interface InstanceNormalizationArgs extends LayerArgs {
  /** Added to the variance before the square root. Default 1e-5 (as PyTorch and MONAI). */
  epsilon?: number;
}

/**
 * Instance normalisation (Ulyanov et al. 2016): each sample and channel is normalised over its
 * spatial axes, then scaled by `gamma` and shifted by `beta` (one per channel). Works for 2D
 * [N, H, W, C] and 3D [N, D, H, W, C] inputs; behaves the same in training and inference, so it is
 * the usual choice for batch size 1 (the paper's 85³ setting).
 */
export class InstanceNormalization extends tf.layers.Layer {
  static className = 'InstanceNormalization';
  readonly epsilon: number;
  private gamma: tf.LayerVariable | undefined;
  private beta: tf.LayerVariable | undefined;

  constructor(args: InstanceNormalizationArgs = {}) {
    super(args);
    this.epsilon = args.epsilon ?? 1e-5;
    if (!(this.epsilon > 0)) throw new Error(`InstanceNormalization: epsilon must be > 0, got ${this.epsilon}`);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = singleShape(inputShape, 'InstanceNormalization');
    const channels = shape[shape.length - 1];
    if (shape.length < 3 || channels == null) {
      throw new Error(`InstanceNormalization: expected [N, ...spatial, C] with known C, got shape [${shape}]`);
    }
    this.gamma = this.addWeight('gamma', [channels], 'float32', tf.initializers.ones(), undefined, true);
    this.beta = this.addWeight('beta', [channels], 'float32', tf.initializers.zeros(), undefined, true);
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs, 'InstanceNormalization');
      if (!this.gamma || !this.beta) throw new Error('InstanceNormalization: called before build');
      const axes = [...Array(x.rank - 2).keys()].map((a) => a + 1);
      const count = x.shape.slice(1, -1).reduce((a, b) => a * b, 1);
      const mean = tf.div(tf.sum(x, axes, true), count);
      const variance = tf.div(tf.sum(tf.square(tf.sub(x, mean)), axes, true), count);
      const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.epsilon)));
      return tf.add(tf.mul(normed, this.gamma.read()), this.beta.read());
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return singleShape(inputShape, 'InstanceNormalization');
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon };
  }
}

tf.serialization.registerClass(InstanceNormalization);
