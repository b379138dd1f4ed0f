import * as tf from '@tensorflow/tfjs';
import { type LayerArgs, positiveInteger, single, singleShape } from './common.js';

export interface MaxoutArgs extends LayerArgs {
  /** Number of consecutive channels each output channel is the maximum of. Default 2. */
  pieces?: number;
}

/**
 * Max-out over channels (Goodfellow et al. 2013), as in Havaei et al.'s TwoPathCNN: output channel c
 * is the maximum of input channels c·k … c·k + k − 1 (k = `pieces`). Any rank, channels last.
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
      return tf.max(tf.reshape(x, [...x.shape.slice(0, -1), c / this.pieces, this.pieces]), -1);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), pieces: this.pieces };
  }
}

tf.serialization.registerClass(Maxout);
