import * as tf from '@tensorflow/tfjs';
import { type LayerArgs, positiveInteger, single, singleShape } from './common.js';

export interface UpSampling3DArgs extends LayerArgs {
  /** Repeat factors along depth, height and width; a number means the same for all three. Default 2. */
  size?: number | [number, number, number];
}

/**
 * Nearest-neighbour upsampling of channels-last volumes [N, D, H, W, C] by integer factors
 * (TF.js has `upSampling2d` only). Output element (d, h, w) copies input (⌊d/sd⌋, ⌊h/sh⌋, ⌊w/sw⌋).
 * Implemented with reshapes and rank-4 `tile`s, whose gradients every backend has.
 */
export class UpSampling3D extends tf.layers.Layer {
  static className = 'UpSampling3D';
  readonly size: [number, number, number];

  constructor(args: UpSampling3DArgs = {}) {
    super(args);
    const s = args.size ?? 2;
    const size = typeof s === 'number' ? ([s, s, s] as [number, number, number]) : s;
    if (!Array.isArray(size) || size.length !== 3) {
      throw new Error(`UpSampling3D: size must be a number or 3 numbers, got ${String(s)}`);
    }
    this.size = size.map((v) => positiveInteger(v, 'UpSampling3D: size')) as [number, number, number];
    this.inputSpec = [{ ndim: 5 }];
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = singleShape(inputShape, 'UpSampling3D');
    return [s[0] ?? null, ...[1, 2, 3].map((a) => (s[a] == null ? null : s[a]! * this.size[a - 1]!)), s[4] ?? null];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      let x = single(inputs, 'UpSampling3D');
      if (x.rank !== 5) throw new Error(`UpSampling3D: expected a rank-5 input [N, D, H, W, C], got shape [${x.shape}]`);
      for (let axis = 1; axis <= 3; axis++) x = repeatAxis(x, axis, this.size[axis - 1]!);
      return x;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), size: [...this.size] };
  }
}

/** Repeats every element of `axis` `times` times, through a rank-4 view [before, L, 1, after]. */
function repeatAxis(x: tf.Tensor, axis: number, times: number): tf.Tensor {
  if (times === 1) return x;
  const shape = x.shape;
  const before = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const after = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const length = shape[axis]!;
  const tiled = tf.tile(tf.reshape(x, [before, length, 1, after]), [1, 1, times, 1]);
  const out = [...shape];
  out[axis] = length * times;
  return tf.reshape(tiled, out);
}

tf.serialization.registerClass(UpSampling3D);
