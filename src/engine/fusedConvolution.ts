import * as tf from '@tensorflow/tfjs';
import type { NativeAddon } from './nativeAddon.js';
import { floatValues, type CpuBackend } from './cpuBackend.js';
import { replaceKernel, type KernelArgs } from './kernelRegistry.js';
import { uninitialisedFloat32 } from './outputArrays.js';

/**
 * A convolution with its bias and ReLU fused, for training: `GendiceFusedConv2D` / `GendiceFusedConv3D`
 * (inputs `x`, `filter`, optional `bias` [C]; attrs `strides`, `pad`, `dimRoundingMode`, `activation`
 * 'linear' | 'relu'; channels-last, no dilation) give y = act(conv(x, filter) + bias) in one oneDNN call
 * (bias and ReLU as post-ops on the finished sum), and their registered gradient is lazy per input like
 * the unfused chain's: dz = dy · step(y) once (`GendiceReluGrad`, one pass; dz = dy for linear), then only
 * the gradients the tape needs: x by the backprop-input kernel, filter by the backprop-filter kernel, bias
 * as the sum of dz over all axes but the channels.
 *
 * Bit-identical to the unfused Conv + Add + Relu, values and gradients: the same float32 operations in the
 * same order (oneDNN's post-ops act on the convolution's finished float32 sum; relu's −0 is made +0 as
 * TF.js's; step(y) = step(x) for every x; the same backprop and Sum kernels on the same dz). Tested bit for
 * bit against the unfused chain (test/engine/fusedConvolution.test.ts). Registered by the native engine
 * (oneDNN) and by the wasm engine (composed of the chain's own kernels, wasmConv.ts: the same bits, fewer
 * tensors kept for the backward pass); `fusedConvAvailable` says where. Other engines run the unfused chain.
 */
export const FUSED_CONV2D_KERNEL = 'GendiceFusedConv2D';
export const FUSED_CONV3D_KERNEL = 'GendiceFusedConv3D';
/** dy · step(y) (inputs `dy`, `y`): the ReLU gradient in one pass, equal to TF.js's mul(dy, cast(step(y))). */
export const RELU_GRAD_KERNEL = 'GendiceReluGrad';

export type FusedActivation = 'linear' | 'relu';

/** Switch for benchmarks and tests that compare with the unfused chain in one process (on by default; off also sends the Relu gradient back to TF.js's composition). */
export const fusedConvolutionTuning = { enabled: true };

export interface FusedConvArgs {
  x: tf.Tensor;
  filter: tf.Tensor;
  bias?: tf.Tensor | null;
  strides: number | number[];
  pad: 'same' | 'valid' | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  activation: FusedActivation;
}

const kernelOf = (rank: number): string => (rank === 5 ? FUSED_CONV3D_KERNEL : FUSED_CONV2D_KERNEL);

/** Whether the active backend has the fused kernel for inputs of this rank (4: 2D, 5: 3D) and it is enabled. */
export function fusedConvAvailable(rank: 4 | 5): boolean {
  return fusedConvolutionTuning.enabled && tf.getKernel(kernelOf(rank), tf.getBackend()) !== undefined;
}

/** act(conv(x, filter) + bias) by the fused kernel (only where `fusedConvAvailable(x.rank)`), differentiable in x, filter and bias. */
export function fusedConv(args: FusedConvArgs): tf.Tensor {
  const { x, filter, bias, strides, pad, dimRoundingMode, activation } = args;
  if ((x.rank !== 4 && x.rank !== 5) || filter.rank !== x.rank) {
    throw new Error(`fusedConv: x and filter must both be rank 4 (2D) or 5 (3D), got [${x.shape.join(', ')}] and [${filter.shape.join(', ')}]`);
  }
  const channels = filter.shape[filter.rank - 1]!;
  if (bias != null && (bias.rank !== 1 || bias.shape[0] !== channels)) {
    throw new Error(`fusedConv: bias must be [${channels}] (the filter's output channels), got [${bias.shape.join(', ')}]`);
  }
  const inputs: tf.NamedTensorMap = bias != null ? { x, filter, bias } : { x, filter };
  const attrs = { strides, pad, activation, ...(dimRoundingMode !== undefined ? { dimRoundingMode } : {}) };
  return tf.engine().runKernel(kernelOf(x.rank), inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
}

/** dy · step(y) by `GendiceReluGrad` where the active backend has it, else TF.js's composition (same values). */
export function reluGrad(dy: tf.Tensor, y: tf.Tensor): tf.Tensor {
  if (fusedConvolutionTuning.enabled && tf.getKernel(RELU_GRAD_KERNEL, tf.getBackend()) !== undefined && dy.dtype === 'float32' && y.dtype === 'float32') {
    return tf.engine().runKernel(RELU_GRAD_KERNEL, { dy, y }) as tf.Tensor;
  }
  return tf.mul(dy, tf.cast(tf.step(y), 'float32'));
}

function fusedConvGradConfig(kernelName: string): tf.GradConfig {
  const is3d = kernelName === FUSED_CONV3D_KERNEL;
  return {
    kernelName,
    inputsToSave: ['x', 'filter'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter, y] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
      const { strides, pad, dimRoundingMode, activation } = attrs as unknown as Omit<FusedConvArgs, 'x' | 'filter' | 'bias'>;
      // Computed once for all three gradients (tensors made here live until the backward pass ends, as the
      // unfused chain's Relu gradient does).
      const dz = activation === 'relu' ? reluGrad(dy as tf.Tensor, y) : (dy as tf.Tensor);
      const common = { strides, pad, ...(dimRoundingMode !== undefined ? { dimRoundingMode } : {}) };
      const channelsLast = is3d ? {} : { dataFormat: 'NHWC' };
      const spatialAxes = Array.from({ length: x.rank - 1 }, (_, i) => i);
      return {
        x: () =>
          tf.engine().runKernel(is3d ? 'Conv3DBackpropInputV2' : 'Conv2DBackpropInput', { dy: dz, filter }, { ...common, ...channelsLast, inputShape: x.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
        filter: () =>
          tf.engine().runKernel(is3d ? 'Conv3DBackpropFilterV2' : 'Conv2DBackpropFilter', { x, dy: dz }, { ...common, ...channelsLast, filterShape: filter.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
        bias: () => tf.sum(dz, spatialAxes),
      };
    },
  };
}

let gradientsRegistered = false;

/** Registers the fused kernels' gradients (global in TF.js; harmless where the kernels are absent). Idempotent. */
export function registerFusedConvGradients(): void {
  if (gradientsRegistered) return;
  tf.registerGradient(fusedConvGradConfig(FUSED_CONV2D_KERNEL));
  tf.registerGradient(fusedConvGradConfig(FUSED_CONV3D_KERNEL));
  gradientsRegistered = true;
}

/** The ReLU gradient as a JS loop (an addon without `reluGrad`): dy·s in double equals the float32 product, s ∈ {0, 1, NaN}. */
function reluGradLoop(dy: Float32Array, y: Float32Array, out: Float32Array): void {
  for (let i = 0; i < out.length; i++) {
    const v = y[i]!;
    out[i] = dy[i]! * (v > 0 ? 1 : v !== v ? v : 0);
  }
}

/**
 * Registers `GendiceFusedConv2D`, `GendiceFusedConv3D` and `GendiceReluGrad` on cpu for the native engine;
 * `conv` runs one fused forward convolution (nativeConv.ts) and returns the output.
 */
export function registerFusedConvolutions(
  addon: NativeAddon,
  conv: (x: tf.TensorInfo, filter: tf.TensorInfo, bias: tf.TensorInfo | undefined, attrs: tf.NamedAttrMap, backend: CpuBackend) => tf.TensorInfo,
): void {
  for (const kernelName of [FUSED_CONV2D_KERNEL, FUSED_CONV3D_KERNEL]) {
    replaceKernel(kernelName, 'cpu', 'oneDNN', () => (args: KernelArgs) => {
      const { x, filter, bias } = args.inputs;
      if (x === undefined || filter === undefined) throw new Error(`${kernelName}: inputs x and filter are required`);
      return conv(x, filter, bias, args.attrs ?? {}, args.backend as CpuBackend);
    });
  }
  const native = typeof addon.reluGrad === 'function' ? addon.reluGrad.bind(addon) : reluGradLoop;
  replaceKernel(RELU_GRAD_KERNEL, 'cpu', 'js', () => (args: KernelArgs) => {
    const backend = args.backend as CpuBackend;
    const { dy, y } = args.inputs;
    const dv = dy && floatValues(backend, dy);
    const yv = y && floatValues(backend, y);
    if (!dy || !y || !dv || !yv || dv.length !== yv.length) {
      throw new Error(`${RELU_GRAD_KERNEL}: dy and y must be float32 tensors of one shape, got [${dy?.shape.join(', ')}] ${dy?.dtype} and [${y?.shape.join(', ')}] ${y?.dtype}`);
    }
    const out = uninitialisedFloat32(dv.length);
    native(dv, yv, out);
    return backend.makeTensorInfo(dy.shape.slice(), 'float32', out);
  });
}
