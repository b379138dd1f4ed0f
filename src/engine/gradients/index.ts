import * as tf from '@tensorflow/tfjs';
import { batchNormGradConfig } from './batchNorm.js';
import { conv3DBackpropInputGradConfig } from './conv3dTranspose.js';
import { dilatedConv2DGradConfig, dilatedConv3DGradConfig } from './dilatedConv.js';
import { maxPool3dGradConfig } from './maxPool3d.js';
import { patchFusedConv2d } from './fusedConv2d.js';
import { patchConv3dLayer } from './conv3dLayer.js';
import { reluGradConfig } from './relu.js';
import { registerFusedConvGradients } from '../fusedConvolution.js';
import { installWebglKernels } from '../webglKernels.js';
import { fixWebglFloatPrecision } from '../webglPrecision.js';

export { dilatedConvGradients } from './dilatedConv.js';

/** What `installMissingGradients` did: the kernels whose gradients it registered, and the op it wrapped. */
export interface GradientInstallReport {
  /** Kernel names whose gradient gendice registered (on the first call; the same list afterwards). */
  kernels: string[];
  /**
   * Whether `tf.fused.conv2d` could be wrapped so that, while gradients are recorded, it runs unfused with
   * lazy per-input gradients (no unneeded input gradient; dilated 2D layers with linear activation train).
   */
  fusedConv2dPatched: boolean;
  /**
   * Whether TF.js's Conv3D layer class could be wrapped so that, where gendice's fused kernel exists (the
   * native engine), convolution, bias and ReLU run as one kernel (`patchConv3dLayer`).
   */
  conv3dLayerPatched: boolean;
  /**
   * Whether TF.js's WebGL backend was corrected to report float32 precision where it renders to float32
   * textures (so optimizers get epsilon 1e-7 there, as on cpu, instead of 1e-4; see webglPrecision.ts).
   */
  webglPrecisionFixed: boolean;
  /** Kernels gendice installed on webgl for ranks TF.js's shaders do not handle (`PadV2` of rank ≥ 5). */
  webglKernels: string[];
}

let report: GradientInstallReport | undefined;

function previousGradient(kernelName: string): tf.GradConfig | undefined {
  try {
    return tf.getGradient(kernelName);
  } catch {
    return undefined;
  }
}

/**
 * Registers, once per process, the gradients TF.js 4.22 lacks on every backend:
 * - `Conv2D` and `Conv3D` with dilations > 1 (space-to-batch decomposition; undilated calls keep the
 *   gradient registered before, so an engine's own gradient is preserved);
 * - `Conv3DBackpropInputV2` (so `conv3dTranspose` trains);
 * - `FusedBatchNorm` on rank ≥ 5 inputs (ranks ≤ 4 keep the previous gradient);
 * - `MaxPool3D` with different pool height and width on stock cpu, whose `MaxPool3DGrad` misplaces the
 *   gradient there (computed on transposed tensors; everything else keeps the previous gradient);
 * - `Relu` by one pass where the backend has `GendiceReluGrad` (the previous gradient elsewhere), and
 *   gendice's fused convolution kernels' gradients (fusedConvolution.ts);
 * and wraps `tf.fused.conv2d` so that it runs unfused while gradients are recorded (TF.js's fused gradient
 * computes the input's gradient even for a first layer) and whenever it is dilated, or as gendice's fused
 * training kernel where the backend has it; wraps the Conv3D layer's call likewise (`patchConv3dLayer`); corrects the
 * WebGL backend's reported float precision (TF.js 4.22 says 16 on float32 devices, which gave every
 * default optimizer epsilon 1e-4 there and stalled GDL training; `fixWebglFloatPrecision`), and installs
 * webgl's rank-5 `PadV2` (TF.js's shaders stop at rank 4; `installWebglKernels`).
 * Idempotent: later calls return the first report and change nothing. Gradients are global in
 * TF.js (not per backend), so this covers cpu, wasm, webgl and any engine's kernels alike.
 */
export function installMissingGradients(): GradientInstallReport {
  if (report !== undefined) return report;
  const conv2d = previousGradient('Conv2D');
  const conv3d = previousGradient('Conv3D');
  const batchNorm = previousGradient('FusedBatchNorm');
  const maxPool3d = previousGradient('MaxPool3D');
  const relu = previousGradient('Relu');
  tf.registerGradient(dilatedConv2DGradConfig(conv2d));
  tf.registerGradient(dilatedConv3DGradConfig(conv3d));
  tf.registerGradient(conv3DBackpropInputGradConfig);
  tf.registerGradient(batchNormGradConfig(batchNorm));
  tf.registerGradient(maxPool3dGradConfig(maxPool3d));
  tf.registerGradient(reluGradConfig(relu));
  registerFusedConvGradients();
  report = {
    kernels: ['Conv2D', 'Conv3D', 'Conv3DBackpropInputV2', 'FusedBatchNorm', 'MaxPool3D', 'Relu', 'GendiceFusedConv2D', 'GendiceFusedConv3D'],
    fusedConv2dPatched: patchFusedConv2d(),
    conv3dLayerPatched: patchConv3dLayer(),
    webglPrecisionFixed: fixWebglFloatPrecision(),
    webglKernels: installWebglKernels(),
  };
  return report;
}
