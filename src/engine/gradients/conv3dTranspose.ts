import * as tf from '@tensorflow/tfjs';
import type { GradConfig, NamedAttrMap, Tensor } from '@tensorflow/tfjs';
import { conv3dBackpropFilter } from './kernels.js';

/**
 * Gradient of `Conv3DBackpropInputV2`, the kernel behind `tf.conv3dTranspose` and
 * `tf.layers.conv3dTranspose`, which no TF.js 4.22 backend has (so 3D transposed convolutions could
 * not train). The kernel maps dy (the "input" of the transposed convolution) and the filter to an
 * output of shape `inputShape`; with g the gradient of that output:
 *   d/d dy     = conv3d(g, filter, strides, pad)              (the forward convolution)
 *   d/d filter = conv3DBackpropFilter(g, dy, filterShape, strides, pad)
 * exactly as TF.js does for the 2D kernel `Conv2DBackpropInput`.
 */
export const conv3DBackpropInputGradConfig: GradConfig = {
  kernelName: 'Conv3DBackpropInputV2',
  inputsToSave: ['dy', 'filter'],
  gradFunc: (gIn: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const [dy, filter] = saved as [tf.Tensor5D, tf.Tensor5D];
    const g = gIn as tf.Tensor5D;
    const strides = attrs['strides'] as [number, number, number] | number;
    const pad = attrs['pad'] as 'same' | 'valid';
    return {
      dy: () => tf.conv3d(g, filter, strides, pad, 'NDHWC', 1),
      filter: () => conv3dBackpropFilter(g, dy, filter.shape, strides, pad),
    };
  },
};
