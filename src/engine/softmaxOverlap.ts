import * as tf from '@tensorflow/tfjs';
import type { NativeAddon } from './nativeAddon.js';
import { floatValues, type CpuBackend } from './cpuBackend.js';
import { replaceKernel, type KernelFunction } from './kernelRegistry.js';

/**
 * The softmax over channels fused with the overlap sums of the Dice-type losses, as a kernel of its own
 * with a gradient: `GendiceSoftmaxOverlap` (inputs `logits`, `target`, both float32 `[B, S, C]`) gives
 * `[B, 3, C]`: per image and class tp = Σ p·r, sumP = Σ p, sumR = Σ r, with p = softmax(logits) over C.
 * Its gradient `GendiceSoftmaxOverlapGrad` (inputs dy `[B, 3, C]`, logits, target) gives d logits in one
 * pass, recomputing p (nothing of size [B, S, C] is saved besides the inputs); the target gets none.
 * Registered on the native engine's cpu backend when the addon has `softmaxOverlap`; elsewhere it is
 * absent and the losses compose softmax and sums as before (`softmaxOverlapAvailable()`). Values equal
 * the composition within float32 rounding (sums in double; test/engine/softmaxOverlap.test.ts).
 */
export const SOFTMAX_OVERLAP_KERNEL = 'GendiceSoftmaxOverlap';
export const SOFTMAX_OVERLAP_GRAD_KERNEL = 'GendiceSoftmaxOverlapGrad';

type Native = NonNullable<NativeAddon['softmaxOverlap']>;

function values(backend: CpuBackend, t: tf.TensorInfo): Float32Array {
  return floatValues(backend, t) ?? Float32Array.from(backend.data.get(t.dataId).values as ArrayLike<number>);
}

function dimsOf(logits: tf.TensorInfo, target: tf.TensorInfo): [number, number, number] {
  const [B, S, C] = logits.shape;
  if (logits.shape.length !== 3 || target.shape.join(',') !== logits.shape.join(',') || logits.dtype !== 'float32' || target.dtype !== 'float32') {
    throw new Error(`${SOFTMAX_OVERLAP_KERNEL}: logits and target must be float32 [B, S, C] of one shape, got [${logits.shape.join(', ')}] ${logits.dtype} and [${target.shape.join(', ')}] ${target.dtype}`);
  }
  return [B!, S!, C!];
}

function kernels(native: Native): { forward: KernelFunction; backward: KernelFunction } {
  return {
    forward: (args) => {
      const backend = args.backend as CpuBackend;
      const { logits, target } = args.inputs as { logits: tf.TensorInfo; target: tf.TensorInfo };
      const dims = dimsOf(logits, target);
      const stats = new Float32Array(dims[0] * 3 * dims[2]);
      native(0, values(backend, logits), values(backend, target), dims, stats);
      return backend.makeTensorInfo([dims[0], 3, dims[2]], 'float32', stats);
    },
    backward: (args) => {
      const backend = args.backend as CpuBackend;
      const { dy, logits, target } = args.inputs as { dy: tf.TensorInfo; logits: tf.TensorInfo; target: tf.TensorInfo };
      const dims = dimsOf(logits, target);
      const dx = new Float32Array(dims[0] * dims[1] * dims[2]);
      native(1, values(backend, logits), values(backend, target), dims, dx, values(backend, dy));
      return backend.makeTensorInfo(logits.shape.slice(), 'float32', dx);
    },
  };
}

let gradientRegistered = false;

/** Registers the fused kernels on cpu with the addon's loops (the native engine does, when the addon has them). */
export function registerSoftmaxOverlap(native: Native): void {
  const k = kernels(native);
  replaceKernel(SOFTMAX_OVERLAP_KERNEL, 'cpu', 'js', () => k.forward);
  replaceKernel(SOFTMAX_OVERLAP_GRAD_KERNEL, 'cpu', 'js', () => k.backward);
  if (gradientRegistered) return;
  tf.registerGradient({
    kernelName: SOFTMAX_OVERLAP_KERNEL,
    inputsToSave: ['logits', 'target'],
    gradFunc: (dy, saved) => ({
      logits: () => tf.engine().runKernel(SOFTMAX_OVERLAP_GRAD_KERNEL, { dy: dy as tf.Tensor, logits: saved[0]!, target: saved[1]! }) as tf.Tensor,
      target: () => tf.zerosLike(saved[1]!),
    }),
  });
  gradientRegistered = true;
}

/** Whether the active backend has the fused kernel. */
export function softmaxOverlapAvailable(): boolean {
  return tf.getKernel(SOFTMAX_OVERLAP_KERNEL, tf.getBackend()) !== undefined;
}

/**
 * tp, sumP, sumR (each `[B, C]`) of softmax(logits) against target (both float32 `[B, S, C]`) by the fused
 * kernel, differentiable in logits. Only where `softmaxOverlapAvailable()`.
 */
export function fusedSoftmaxOverlap(logits: tf.Tensor3D, target: tf.Tensor3D): { tp: tf.Tensor2D; sumP: tf.Tensor2D; sumR: tf.Tensor2D } {
  return tf.tidy(() => {
    const stats = tf.engine().runKernel(SOFTMAX_OVERLAP_KERNEL, { logits, target }) as tf.Tensor3D;
    const [tp, sumP, sumR] = tf.unstack(stats, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    return { tp, sumP, sumR };
  });
}
