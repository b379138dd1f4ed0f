import * as tf from '@tensorflow/tfjs';
import { type LayerArgs, single, singleShape } from './common.js';

export interface SizeRule {
  /** Network name used in the error message. */
  network: string;
  /** Smallest accepted size of each spatial axis. */
  minimum: number;
  /** Accepted sizes s satisfy (s − offset) mod multipleOf = 0. */
  multipleOf: number;
  offset: number;
  /** Why the multiple is required, e.g. "2^4 = 16" (appears in the message). */
  reason: string;
}

/** The error for a spatial size that breaks `rule`, or undefined when the size is accepted. */
export function sizeError(rule: SizeRule, size: number): string | undefined {
  if (!Number.isInteger(size) || size < rule.minimum) {
    return `${rule.network}: input size ${size} is smaller than the minimum ${rule.minimum}`;
  }
  if ((size - rule.offset) % rule.multipleOf !== 0) {
    return rule.offset === 0
      ? `${rule.network}: input size ${size} is not divisible by ${rule.reason}`
      : `${rule.network}: input size ${size} minus ${rule.offset} is not divisible by ${rule.reason}`;
  }
  return undefined;
}

/**
 * An identity layer placed after a network's input that refuses spatial sizes the network cannot
 * process, with an error naming the network and the size (instead of a shape clash deep inside).
 */
export class SpatialSizeCheck extends tf.layers.Layer {
  static className = 'SpatialSizeCheck';
  readonly rule: SizeRule;

  constructor(args: LayerArgs & { rule: SizeRule }) {
    super(args);
    this.rule = { ...args.rule };
  }

  private check(shape: readonly (number | null)[]): void {
    for (const s of shape.slice(1, -1)) {
      if (s == null) continue;
      const error = sizeError(this.rule, s);
      if (error !== undefined) throw new Error(error);
    }
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = singleShape(inputShape, 'SpatialSizeCheck');
    this.check(s);
    return s;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = single(inputs, 'SpatialSizeCheck');
    this.check(x.shape);
    return tf.clone(x);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rule: { ...this.rule } };
  }
}

tf.serialization.registerClass(SpatialSizeCheck);
