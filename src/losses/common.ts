import * as tf from '@tensorflow/tfjs';
import { closestName, didYouMean } from '../common/didYouMean.js';

export type Activation = 'softmax' | 'sigmoid' | 'none';
export type Reduction = 'mean' | 'sum' | 'none';

/** Options every loss accepts. */
export interface SharedLossOptions {
  /** Applied to yPred first. Default 'softmax' when C > 1, 'sigmoid' when C = 1. */
  activation?: Activation;
  /** Keep channel 0 (background) in the loss. Default true. */
  includeBackground?: boolean;
  /** 'mean' (default) | 'sum' | 'none' (see docs/losses.md for the shapes). */
  reduction?: Reduction;
  /** Pool the sums over the whole batch instead of per image. Default false. */
  batch?: boolean;
}

/** A loss usable in `model.compile({ loss })` and in custom loops: `loss(yTrue, yPred)`. */
export interface LossFunction {
  (yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor;
  /** The registry name of the loss (`gdl`, `dice`, ...). */
  readonly lossName: string;
  /** The options as resolved, defaults filled in (C-dependent ones stay undefined until a call). */
  readonly options: Readonly<Record<string, unknown>>;
}

export const sharedOptionNames = ['activation', 'includeBackground', 'reduction', 'batch'] as const;

/** Validation of an options object against the names a loss accepts. */
export class OptionChecker {
  constructor(
    readonly fn: string,
    readonly options: object | undefined,
    allowed: readonly string[],
  ) {
    if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
      throw new Error(`${fn}: options must be an object, got ${JSON.stringify(options)}`);
    }
    for (const key of Object.keys(options ?? {})) {
      if (!allowed.includes(key)) {
        throw new Error(`${fn}: unknown option '${key}'${didYouMean(key, allowed)}`);
      }
    }
  }

  private raw(key: string): unknown {
    return (this.options as Record<string, unknown> | undefined)?.[key];
  }

  oneOf<T extends string>(key: string, allowed: readonly T[], fallback: T): T;
  oneOf<T extends string>(key: string, allowed: readonly T[], fallback: undefined): T | undefined;
  oneOf<T extends string>(key: string, allowed: readonly T[], fallback: T | undefined): T | undefined {
    const v = this.raw(key);
    if (v === undefined) return fallback;
    if (typeof v !== 'string' || !allowed.includes(v as T)) {
      const close = typeof v === 'string' ? closestName(v, allowed) : undefined;
      throw new Error(
        `${this.fn}: ${key} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(v)}` +
          (close !== undefined ? `; did you mean '${close}'?` : ''),
      );
    }
    return v as T;
  }

  boolean(key: string, fallback: boolean): boolean {
    const v = this.raw(key);
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') throw new Error(`${this.fn}: ${key} must be a boolean, got ${JSON.stringify(v)}`);
    return v;
  }

  /** A finite number within [min, max] (bounds inclusive unless `exclusiveMin`). */
  number(key: string, fallback: number, range: { min?: number; max?: number; exclusiveMin?: boolean } = {}): number {
    const v = this.raw(key);
    if (v === undefined) return fallback;
    return this.checkNumber(key, v, range);
  }

  optionalNumber(key: string, range: { min?: number; max?: number; exclusiveMin?: boolean } = {}): number | undefined {
    const v = this.raw(key);
    return v === undefined ? undefined : this.checkNumber(key, v, range);
  }

  checkNumber(key: string, v: unknown, range: { min?: number; max?: number; exclusiveMin?: boolean }): number {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new Error(`${this.fn}: ${key} must be a finite number, got ${JSON.stringify(v)}`);
    }
    const { min, max, exclusiveMin } = range;
    if (min !== undefined && (exclusiveMin ? v <= min : v < min)) {
      throw new Error(`${this.fn}: ${key} must be ${exclusiveMin ? '>' : '>='} ${min}, got ${v}`);
    }
    if (max !== undefined && v > max) throw new Error(`${this.fn}: ${key} must be <= ${max}, got ${v}`);
    return v;
  }

  /** An optional array of finite non-negative numbers. */
  numberArray(key: string): number[] | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.length === 0 || v.some((x) => typeof x !== 'number' || !Number.isFinite(x) || x < 0)) {
      throw new Error(`${this.fn}: ${key} must be a non-empty array of finite numbers >= 0, got ${JSON.stringify(v)}`);
    }
    return v as number[];
  }

  /** The options every loss shares. */
  shared(): { activation: Activation | undefined; includeBackground: boolean; reduction: Reduction; batch: boolean } {
    return {
      activation: this.oneOf('activation', ['softmax', 'sigmoid', 'none'] as const, undefined),
      includeBackground: this.boolean('includeBackground', true),
      reduction: this.oneOf('reduction', ['mean', 'sum', 'none'] as const, 'mean'),
      batch: this.boolean('batch', false),
    };
  }
}

/** Attaches the name and resolved options to a loss closure. */
export function makeLoss(
  lossName: string,
  options: Record<string, unknown>,
  fn: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor,
): LossFunction {
  const loss = ((yTrue: tf.Tensor, yPred: tf.Tensor) => fn(yTrue, yPred)) as LossFunction;
  Object.defineProperty(loss, 'lossName', { value: lossName, enumerable: true });
  Object.defineProperty(loss, 'options', { value: Object.freeze({ ...options }), enumerable: true });
  Object.defineProperty(loss, 'name', { value: lossName });
  return loss;
}

/** Inputs after validation, activation and one-hot encoding, flattened to `[B, S, C]`. */
export interface PreparedInputs {
  /** Probabilities `[B, S, C]` (after the activation), float32. */
  probs: tf.Tensor3D;
  /** Raw yPred `[B, S, C]` (logits when an activation is applied). */
  logits: tf.Tensor3D;
  /** Targets `[B, S, C]`, float32 (one-hot encoded when yTrue was a label map). */
  target: tf.Tensor3D;
  activation: Activation;
  /** Number of channels of yPred. */
  numClasses: number;
  batchSize: number;
  /** Voxels per image. */
  voxels: number;
}

function shapeText(t: tf.Tensor): string {
  return `[${t.shape.join(', ')}]`;
}

/** Throws when a float array holds NaN or ±Inf; names the loss, the argument and the first index. */
function checkFinite(fn: string, what: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) throw new Error(`${fn}: ${what} holds ${v} at flat index ${i}; losses need finite inputs`);
  }
}

/**
 * Validates `(yTrue, yPred)` for a loss and brings them to `[B, S, C]` probabilities and targets.
 * Must be called inside `tf.tidy`.
 */
export function prepareInputs(
  fn: string,
  yTrue: tf.Tensor,
  yPred: tf.Tensor,
  activation: Activation | undefined,
  includeBackground: boolean,
  softLabelsAllowed = true,
): PreparedInputs {
  if (!(yPred instanceof tf.Tensor) || !(yTrue instanceof tf.Tensor)) {
    throw new Error(`${fn}: yTrue and yPred must be tf.Tensor instances, got ${typeof yTrue} and ${typeof yPred}`);
  }
  if (yPred.rank < 3 || yPred.rank > 5) {
    throw new Error(`${fn}: yPred must have rank 3 to 5 ([B, ...spatial, C], 1D to 3D), got shape ${shapeText(yPred)}`);
  }
  if (yTrue.rank !== yPred.rank) {
    throw new Error(`${fn}: yTrue and yPred must have the same rank, got yTrue ${shapeText(yTrue)} and yPred ${shapeText(yPred)}`);
  }
  for (let i = 0; i < yPred.rank - 1; i++) {
    if (yTrue.shape[i] !== yPred.shape[i]) {
      throw new Error(`${fn}: yTrue and yPred differ in batch or spatial size, got yTrue ${shapeText(yTrue)} and yPred ${shapeText(yPred)}`);
    }
  }
  const numClasses = yPred.shape[yPred.rank - 1]!;
  const trueChannels = yTrue.shape[yTrue.rank - 1]!;
  const labelMap = trueChannels === 1 && numClasses > 1;
  if (!labelMap && trueChannels !== numClasses) {
    throw new Error(
      `${fn}: yTrue must have yPred's shape (one-hot) or one channel (label map), got yTrue ${shapeText(yTrue)} and yPred ${shapeText(yPred)}`,
    );
  }
  if (yPred.dtype !== 'float32') throw new Error(`${fn}: yPred must be float32, got ${yPred.dtype}`);
  const resolved: Activation = activation ?? (numClasses > 1 ? 'softmax' : 'sigmoid');
  if (numClasses === 1 && resolved === 'softmax') {
    throw new Error(`${fn}: activation 'softmax' on a single-channel prediction ${shapeText(yPred)} is always 1; use 'sigmoid' or 'none'`);
  }
  if (numClasses === 1 && !includeBackground) {
    throw new Error(`${fn}: includeBackground: false needs at least 2 channels, got yPred ${shapeText(yPred)}`);
  }
  checkFinite(fn, 'yPred', yPred.dataSync());
  const trueValues = yTrue.dataSync();
  if (labelMap) {
    for (let i = 0; i < trueValues.length; i++) {
      const v = trueValues[i]!;
      if (!Number.isInteger(v) || v < 0 || v >= numClasses) {
        throw new Error(
          `${fn}: label map yTrue ${shapeText(yTrue)} must hold integers 0..${numClasses - 1} for ${numClasses} classes, got ${v} at flat index ${i}`,
        );
      }
    }
  } else {
    for (let i = 0; i < trueValues.length; i++) {
      const v = trueValues[i]!;
      if (!(v >= 0 && v <= 1)) {
        throw new Error(`${fn}: yTrue ${shapeText(yTrue)} must hold labels in [0, 1], got ${v} at flat index ${i}`);
      }
      if (!softLabelsAllowed && v !== 0 && v !== 1) {
        throw new Error(`${fn}: yTrue must hold hard labels 0 or 1, got ${v} at flat index ${i}`);
      }
    }
  }

  const batchSize = yPred.shape[0]!;
  const voxels = yPred.size / (batchSize * numClasses);
  const logits = tf.reshape(yPred, [batchSize, voxels, numClasses]) as tf.Tensor3D;
  const probs =
    resolved === 'softmax' ? tf.softmax(logits) : resolved === 'sigmoid' ? tf.sigmoid(logits) : logits;
  const target = labelMap
    ? (tf.oneHot(tf.reshape(tf.cast(yTrue, 'int32'), [batchSize, voxels]), numClasses).toFloat() as tf.Tensor3D)
    : (tf.reshape(tf.cast(yTrue, 'float32'), [batchSize, voxels, numClasses]) as tf.Tensor3D);
  return { probs, logits, target, activation: resolved, numClasses, batchSize, voxels };
}

/** Applies `reduction` to per-image (or per-image-and-class) loss values. */
export function reduce(values: tf.Tensor, reduction: Reduction): tf.Tensor {
  if (reduction === 'mean') return tf.mean(values);
  if (reduction === 'sum') return tf.sum(values);
  return values;
}
