import * as tf from '@tensorflow/tfjs';
import { fusedConvolutionTuning, RELU_GRAD_KERNEL } from '../fusedConvolution.js';

/**
 * The `Relu` gradient dy · step(x) by the one-pass `GendiceReluGrad` kernel where the active backend has it
 * (the native engine), instead of TF.js's Step, Cast and Multiply (three passes, two fresh arrays); the
 * previously registered gradient everywhere else (and with `fusedConvolutionTuning.enabled` off). The values
 * are the same (fusedConvolution.ts).
 */
export function reluGradConfig(previous: tf.GradConfig | undefined): tf.GradConfig {
  return {
    kernelName: 'Relu',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as [tf.Tensor];
      const fused = fusedConvolutionTuning.enabled && tf.getKernel(RELU_GRAD_KERNEL, tf.getBackend()) !== undefined && x.dtype === 'float32' && (dy as tf.Tensor).dtype === 'float32';
      if (!fused && previous !== undefined) return previous.gradFunc(dy, saved, attrs);
      if (!fused) return { x: () => tf.mul(dy as tf.Tensor, tf.cast(tf.step(x), 'float32')) };
      return { x: () => tf.engine().runKernel(RELU_GRAD_KERNEL, { dy: dy as tf.Tensor, y: x }) as tf.Tensor };
    },
  };
}
