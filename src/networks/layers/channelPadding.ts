import * as tf from '@tensorflow/tfjs';
import { type LayerArgs, positiveInteger, single, singleShape } from './common.js';

export interface ChannelPaddingArgs extends LayerArgs {
  /** Channel count after padding; must be at least the input's. */
  channels: number;
}

/**
 * Appends zero channels up to `channels`: the parameter-free shortcut HighResNet (Li et al. 2017,
 * as in NiftyNet and MONAI's default `channel_matching='pad'`) uses when a residual block widens.
 */
export class ChannelPadding extends tf.layers.Layer {
  static className = 'ChannelPadding';
  readonly channels: number;

  constructor(args: ChannelPaddingArgs) {
    super(args);
    this.channels = positiveInteger(args.channels, 'ChannelPadding: channels');
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = singleShape(inputShape, 'ChannelPadding');
    const c = s[s.length - 1];
    if (c != null && c > this.channels) {
      throw new Error(`ChannelPadding: input has ${c} channels, more than the target ${this.channels}`);
    }
    return [...s.slice(0, -1), this.channels];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs, 'ChannelPadding');
      const c = x.shape[x.rank - 1]!;
      if (c === this.channels) return tf.clone(x);
      // concat with zeros rather than pad: its gradient is a split, and both are fast on the engines
      return tf.concat([x, tf.zeros([...x.shape.slice(0, -1), this.channels - c])], -1);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), channels: this.channels };
  }
}

tf.serialization.registerClass(ChannelPadding);
