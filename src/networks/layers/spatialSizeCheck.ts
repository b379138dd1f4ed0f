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
  /** The spatial axis the rule is for, when a network has one rule per axis (named in the message). */
  axis?: number;
}

/** The error for a spatial size that breaks `rule`, or undefined when the size is accepted. */
export function sizeError(rule: SizeRule, size: number): string | undefined {
  const what = rule.axis === undefined ? `input size ${size}` : `input size ${size} along axis ${rule.axis}`;
  if (!Number.isInteger(size) || size < rule.minimum) {
    return `${rule.network}: ${what} is smaller than the minimum ${rule.minimum}`;
  }
  if ((size - rule.offset) % rule.multipleOf !== 0) {
    return rule.offset === 0
      ? `${rule.network}: ${what} is not divisible by ${rule.reason}`
      : `${rule.network}: ${what} minus ${rule.offset} is not divisible by ${rule.reason}`;
  }
  return undefined;
}

/** The rule of spatial axis `axis`: the one rule of every axis, or that axis's own. */
export function ruleForAxis(rules: SizeRule | readonly SizeRule[], axis: number): SizeRule {
  return Array.isArray(rules) ? (rules as readonly SizeRule[])[axis]! : (rules as SizeRule);
}

/**
 * An identity layer placed after a network's input that refuses spatial sizes the network cannot
 * process, with an error naming the network and the size (instead of a shape clash deep inside).
 */
export class SpatialSizeCheck extends tf.layers.Layer {
  static className = 'SpatialSizeCheck';
  /** One rule for every spatial axis, or one per axis (anisotropic U-Nets). */
  readonly rule: SizeRule | SizeRule[];

  constructor(args: LayerArgs & { rule: SizeRule | SizeRule[] }) {
    super(args);
    this.rule = Array.isArray(args.rule) ? args.rule.map((r) => ({ ...r })) : { ...args.rule };
  }

  private check(shape: readonly (number | null)[]): void {
    const spatial = shape.slice(1, -1);
    if (Array.isArray(this.rule) && spatial.length !== this.rule.length) {
      throw new Error(`${this.rule[0]?.network ?? 'SpatialSizeCheck'}: expected ${this.rule.length} spatial sizes, got [${spatial.join(', ')}]`);
    }
    spatial.forEach((s, axis) => {
      if (s == null) return;
      const error = sizeError(ruleForAxis(this.rule, axis), s);
      if (error !== undefined) throw new Error(error);
    });
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
    return { ...super.getConfig(), rule: Array.isArray(this.rule) ? this.rule.map((r) => ({ ...r })) : { ...this.rule } };
  }
}

tf.serialization.registerClass(SpatialSizeCheck);
