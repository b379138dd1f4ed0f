import * as tf from '@tensorflow/tfjs';
import type { GradConfig, NamedAttrMap, Tensor } from '@tensorflow/tfjs';
import { replacedKernels } from '../kernelRegistry.js';

type Triple = [number, number, number];

const triple = (v: unknown): Triple => (typeof v === 'number' ? [v, v, v] : ([...(v as number[])] as Triple));

/** Whether `MaxPool3DGrad` on the current backend is TF.js's stock cpu kernel (no engine replaced it). */
function stockCpuKernel(): boolean {
  return tf.getBackend() === 'cpu' && !replacedKernels().some((k) => k.kernelName === 'MaxPool3DGrad' && k.backendName === 'cpu');
}

/**
 * The spatial permutation that makes a pool's height and width extents equal, by moving the odd axis to
 * depth: [2, 2, 1] → axes (W, D, H), pool [1, 2, 2]. Undefined when no such permutation exists (three
 * different extents) or none is needed.
 */
export function squareningPermutation(filter: Triple): Triple | undefined {
  const [d, h, w] = filter;
  if (h === w) return undefined;
  if (d === h) return [2, 0, 1];
  if (d === w) return [1, 0, 2];
  return undefined;
}

/**
 * Gradient of `MaxPool3D`. TF.js 4.22's stock cpu `MaxPool3DGrad` finds the maximum's position with
 * `wRow * filterHeight + wCol` where `wRow * filterWidth + wCol` is meant, so for a pool whose height and
 * width differ (the anisotropic U-Net's [2, 2, 1]) it sends the gradient to the wrong voxels (webgl's shader,
 * the wasm and the native engines' kernels are right). On stock cpu such pools are computed on transposed
 * tensors whose pool has equal height and width, where the kernel is exact; everything else (other
 * backends, engines that replaced the kernel, pools with equal height and width) keeps the previous gradient.
 */
export function maxPool3dGradConfig(previous: GradConfig | undefined): GradConfig {
  return {
    kernelName: 'MaxPool3D',
    inputsToSave: ['x'],
    outputsToSave: [true],
    gradFunc: (dyIn: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
      const filter = triple(attrs['filterSize']);
      const order = stockCpuKernel() ? squareningPermutation(filter) : undefined;
      if (order === undefined && previous !== undefined) return previous.gradFunc(dyIn, saved, attrs);
      const [x, y] = saved as [Tensor, Tensor];
      const dy = dyIn as Tensor;
      const run = (perm: Triple | undefined): Tensor => {
        const axes = perm === undefined ? [0, 1, 2, 3, 4] : [0, ...perm.map((a) => a + 1), 4];
        const t = (v: Tensor): Tensor => (perm === undefined ? v : tf.transpose(v, axes));
        const pick = (v: unknown): Triple => {
          const s = triple(v);
          return perm === undefined ? s : (perm.map((a) => s[a]!) as Triple);
        };
        const permutedAttrs = { ...attrs, filterSize: pick(attrs['filterSize']), strides: pick(attrs['strides']) };
        const dx = tf.engine().runKernel('MaxPool3DGrad', { dy: t(dy), input: t(x), output: t(y) }, permutedAttrs as unknown as NamedAttrMap) as Tensor;
        if (perm === undefined) return dx;
        const inverse = axes.map((_, i) => axes.indexOf(i));
        return tf.transpose(dx, inverse);
      };
      return { x: () => run(order) };
    },
  };
}
