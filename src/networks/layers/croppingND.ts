import * as tf from '@tensorflow/tfjs';
import { type LayerArgs, single, singleShape } from './common.js';

export interface CroppingNDArgs extends LayerArgs {
  /** Elements removed [before, after] along each spatial axis (2 axes in 2D, 3 in 3D). */
  cropping: [number, number][];
}

/**
 * Removes a fixed border from the spatial axes of [N, ...spatial, C] (TF.js has `cropping2D` only).
 * DeepMedic uses it to take the centre of its input for the normal-resolution pathway.
 */
export class CroppingND extends tf.layers.Layer {
  static className = 'CroppingND';
  readonly cropping: [number, number][];

  constructor(args: CroppingNDArgs) {
    super(args);
    if (!Array.isArray(args.cropping) || args.cropping.length < 1) {
      throw new Error(`CroppingND: cropping must list [before, after] per spatial axis, got ${String(args.cropping)}`);
    }
    for (const pair of args.cropping) {
      if (!Array.isArray(pair) || pair.length !== 2 || !pair.every((v) => Number.isInteger(v) && v >= 0)) {
        throw new Error(`CroppingND: each cropping entry must be [before, after] with integers >= 0, got ${String(pair)}`);
      }
    }
    this.cropping = args.cropping.map(([a, b]) => [a, b]);
    this.inputSpec = [{ ndim: this.cropping.length + 2 }];
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = singleShape(inputShape, 'CroppingND');
    return s.map((v, i) => {
      if (i === 0 || i === s.length - 1 || v == null) return v;
      const [a, b] = this.cropping[i - 1]!;
      if (v - a - b < 1) throw new Error(`CroppingND: cropping ${a}+${b} leaves nothing of axis ${i} of size ${v}`);
      return v - a - b;
    });
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs, 'CroppingND');
      const begin = [0, ...this.cropping.map(([a]) => a), 0];
      const size = x.shape.map((v, i) =>
        i === 0 || i === x.rank - 1 ? -1 : v - this.cropping[i - 1]![0] - this.cropping[i - 1]![1],
      );
      if (size.some((v) => v === 0 || v < -1)) {
        throw new Error(`CroppingND: cropping ${JSON.stringify(this.cropping)} is too large for shape [${x.shape}]`);
      }
      return tf.slice(x, begin, size);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), cropping: this.cropping.map((p) => [...p]) };
  }
}

tf.serialization.registerClass(CroppingND);
