import * as tf from '@tensorflow/tfjs';
import { MAXOUT_KERNEL } from '../../engine/index.js';
import { type LayerArgs, positiveInteger, single, singleShape } from './common.js';

export interface MaxoutArgs extends LayerArgs {
  /** Number of consecutive channels each output channel is the maximum of. Default 2. */
  pieces?: number;
}

/**
 * Max-out over channels (Goodfellow et al. 2013), as in Havaei et al.'s TwoPathCNN: with k = `pieces`
 * and C = input channels / k output channels, output channel c is the maximum of input channels
 * c, c + C, …, c + (k − 1)·C (k contiguous blocks; which channels form a group does not matter to the
 * preceding convolution). Written as a split and elementwise `maximum`s, whose gradients (concat, masks) are cheap,
 * rather than a reduction whose gradient broadcasts an equality mask; on gendice's engines one fused kernel
 * (src/engine/maxout.ts) with the same values and gradient. Any rank, channels last.
 */
export class Maxout extends tf.layers.Layer {
  static className = 'Maxout';
  readonly pieces: number;

  constructor(args: MaxoutArgs = {}) {
    super(args);
    this.pieces = positiveInteger(args.pieces ?? 2, 'Maxout: pieces');
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = singleShape(inputShape, 'Maxout');
    const c = s[s.length - 1];
    if (c == null || c % this.pieces !== 0) {
      throw new Error(`Maxout: the channel count ${String(c)} is not a multiple of pieces = ${this.pieces}`);
    }
    return [...s.slice(0, -1), c / this.pieces];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs, 'Maxout');
      const [c] = x.shape.slice(-1) as [number];
      if (c % this.pieces !== 0) {
        throw new Error(`Maxout: the channel count ${c} is not a multiple of pieces = ${this.pieces}`);
      }
      if (this.pieces === 1) return tf.clone(x);
      // gendice's engines register a fused kernel (src/engine/maxout.ts): one pass each way.
      if (x.dtype === 'float32' && tf.getKernel(MAXOUT_KERNEL, tf.getBackend()) !== undefined) {
        return tf.engine().runKernel(MAXOUT_KERNEL, { x }, { pieces: this.pieces }) as tf.Tensor;
      }
      const pieces = tf.split(x, this.pieces, -1);
      let y = pieces[0]!;
      for (let i = 1; i < this.pieces; i++) y = maximumPair(y, pieces[i]!);
      return y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), pieces: this.pieces };
  }
}

/**
 * `tf.maximum` with the same gradient as TF.js's (ties go to the first argument) from one mask:
 * da = dy·[a ≥ b], db = dy − da, instead of two comparisons and two products.
 */
const maximumPair = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [a, b, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: tf.maximum(a, b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const da = tf.mul(dy, tf.cast(tf.greaterEqual(saved[0]!, saved[1]!), 'float32'));
      return [da, tf.sub(dy, da)];
    },
  };
}) as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;

tf.serialization.registerClass(Maxout);
