import * as tf from '@tensorflow/tfjs';

/** The constructor arguments every Layers layer accepts (name, trainable, inputShape, ...). */
export type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

/** Layers passes either one tensor or a list of one; custom layers here take exactly one. */
export function single(inputs: tf.Tensor | tf.Tensor[], layer: string): tf.Tensor {
  if (Array.isArray(inputs)) {
    if (inputs.length !== 1) throw new Error(`${layer}: expected one input tensor, got ${inputs.length}`);
    return inputs[0]!;
  }
  return inputs;
}

export function singleShape(shape: tf.Shape | tf.Shape[], layer: string): tf.Shape {
  if (Array.isArray(shape[0]) || (shape.length > 0 && shape.every((s) => Array.isArray(s)))) {
    const list = shape as tf.Shape[];
    if (list.length !== 1) throw new Error(`${layer}: expected one input shape, got ${list.length}`);
    return list[0]!;
  }
  return shape as tf.Shape;
}

export function positiveInteger(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new Error(`${what} must be a positive integer, got ${String(value)}`);
  }
  return value;
}
