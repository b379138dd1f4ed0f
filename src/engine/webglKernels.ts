import * as tf from '@tensorflow/tfjs';
import { callOriginal, type KernelFunction } from './kernelRegistry.js';

type WebglBackend = { disposeIntermediateTensorInfo(t: tf.TensorInfo): void };

function webglKernel(name: string): KernelFunction {
  const k = tf.getKernel(name, 'webgl');
  if (k === undefined) throw new Error(`webgl engine: TF.js has no '${name}' kernel on webgl`);
  return k.kernelFunc;
}

/**
 * `PadV2` on webgl for rank 5 and above. TF.js 4.22's WebGL pad shaders (packed and unpacked) are written
 * for rank ≤ 4: on a rank-5 tensor the packed one fails to compile ("'lessThan': no matching overloaded
 * function"), so the gradient of every rank-5 slice (3D cropping, DeepMedic's pathways) and of the 3D
 * dilated convolutions failed on webgl. This pads one axis at a time by concatenating constant blocks
 * (webgl's Concat and Fill work at any rank); ranks ≤ 4 keep TF.js's kernel.
 */
function paddedByConcat(original: KernelFunction | undefined): KernelFunction {
  return (args) => {
    const x = (args.inputs as { x: tf.TensorInfo }).x;
    if (x.shape.length <= 4) return callOriginal('PadV2', original, args);
    const { paddings, constantValue } = args.attrs as unknown as { paddings: [number, number][]; constantValue: number };
    const backend = args.backend as unknown as WebglBackend;
    const fill = webglKernel('Fill');
    const concat = webglKernel('Concat');
    let current = x;
    paddings.forEach(([before, after], axis) => {
      if (before === 0 && after === 0) return;
      const block = (n: number): tf.TensorInfo =>
        fill({ inputs: {}, backend: args.backend, attrs: { shape: current.shape.map((d, i) => (i === axis ? n : d)), value: constantValue, dtype: x.dtype } }) as tf.TensorInfo;
      const parts = [...(before > 0 ? [block(before)] : []), current, ...(after > 0 ? [block(after)] : [])];
      const out = concat({ inputs: parts as unknown as tf.NamedTensorInfoMap, backend: args.backend, attrs: { axis } }) as tf.TensorInfo;
      for (const p of parts) if (p !== x) backend.disposeIntermediateTensorInfo(p);
      current = out;
    });
    return current === x ? webglKernel('Identity')({ inputs: { x }, backend: args.backend, attrs: {} }) : current;
  };
}

const INSTALLED = Symbol.for('gendice.webglPad');

/**
 * Installs gendice's webgl kernels (rank ≥ 5 `PadV2`) once per process, in place of TF.js's: not an engine
 * replacement, so `resetEngine()` keeps it, like the registered gradients. Returns the kernel names
 * installed (none where TF.js has no webgl backend in the build).
 */
export function installWebglKernels(): string[] {
  const current = tf.getKernel('PadV2', 'webgl');
  if (current === undefined) return [];
  if ((current.kernelFunc as { [INSTALLED]?: true })[INSTALLED] === true) return ['PadV2'];
  const kernelFunc = Object.assign(paddedByConcat(current.kernelFunc), { [INSTALLED]: true as const });
  tf.unregisterKernel('PadV2', 'webgl');
  tf.registerKernel({ ...current, kernelFunc });
  return ['PadV2'];
}
