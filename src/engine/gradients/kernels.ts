import * as tf from '@tensorflow/tfjs';

/**
 * The filter-gradient kernels, which TF.js registers on its backends but does not export as ops.
 * Running them through the engine keeps whatever kernel the active backend (or engine) registered.
 */
export function conv2dBackpropFilter(
  x: tf.Tensor,
  dy: tf.Tensor,
  filterShape: readonly number[],
  strides: number | [number, number],
  pad: 'same' | 'valid' | number,
): tf.Tensor4D {
  return tf
    .engine()
    .runKernel('Conv2DBackpropFilter', { x, dy }, { strides, pad, dataFormat: 'NHWC', filterShape: [...filterShape] }) as tf.Tensor4D;
}

export function conv3dBackpropFilter(
  x: tf.Tensor,
  dy: tf.Tensor,
  filterShape: readonly number[],
  strides: number | [number, number, number],
  pad: 'same' | 'valid',
): tf.Tensor5D {
  return tf
    .engine()
    .runKernel('Conv3DBackpropFilterV2', { x, dy }, { strides, pad, filterShape: [...filterShape] }) as tf.Tensor5D;
}
