import * as tf from '@tensorflow/tfjs';
import { conv3dGeometry, hasNegativePadding } from '../convGeometry.js';
import { fusedConv, fusedConvAvailable } from '../fusedConvolution.js';

/** What a TF.js Conv3D layer holds that its call reads (tfjs-layers' BaseConv / Conv). */
interface Conv3DLayerInternals {
  kernel: tf.LayerVariable;
  bias: tf.LayerVariable | null;
  strides: number[];
  padding: string;
  dataFormat: string;
  dilationRate: number | number[];
  activation: { getClassName(): string; apply(x: tf.Tensor): tf.Tensor } | null;
}

type Call = (this: unknown, inputs: tf.Tensor | tf.Tensor[], kwargs: tf.serialization.ConfigDict) => tf.Tensor | tf.Tensor[];

const PATCHED = Symbol.for('gendice.conv3dLayerFused');

/**
 * TF.js has no fused 3D convolution: a `tf.layers.conv3d` layer runs Conv3D, a broadcast Add for the bias
 * and the activation, each a pass with a fresh array (and saved for the gradient). This wraps the layer
 * class's `call` so that, where the active backend has gendice's fused kernel (`fusedConvAvailable(5)`,
 * the native and wasm engines) and the layer is channels-last and undilated, convolution, bias and ReLU run as one
 * `GendiceFusedConv3D` (bias only, for other activations, which then follow as the layer applies them),
 * in training and inference alike; bit-identical to the unfused call (fusedConvolution.ts). The layer
 * class, its configuration and its weights are untouched, so saved models stay byte for byte the same.
 * Everything else calls the layer's own `call`. Returns false when the class cannot be patched.
 */
export function patchConv3dLayer(): boolean {
  const proto = Object.getPrototypeOf(tf.layers.conv3d({ filters: 1, kernelSize: 1 })) as { call: Call & { [PATCHED]?: true } };
  if (proto.call[PATCHED] === true) return true;
  const original = proto.call;
  const call: Call = function (this: unknown, inputs, kwargs) {
    const layer = this as Conv3DLayerInternals;
    const x = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : undefined) : inputs;
    const dilations = Array.isArray(layer.dilationRate) ? layer.dilationRate : [layer.dilationRate];
    const fusable =
      x !== undefined &&
      x.rank === 5 &&
      x.dtype === 'float32' &&
      layer.dataFormat === 'channelsLast' &&
      (layer.padding === 'same' || layer.padding === 'valid') &&
      dilations.every((d) => d === 1) &&
      fusedConvAvailable(5) &&
      !hasNegativePadding(conv3dGeometry(x.shape, layer.kernel.shape as number[], layer.strides as [number, number, number], 1, layer.padding));
    if (!fusable) return original.call(this, inputs, kwargs);
    return tf.tidy(() => {
      const activation = layer.activation?.getClassName() ?? 'linear';
      const y = fusedConv({
        x,
        filter: layer.kernel.read(),
        bias: layer.bias?.read() ?? null,
        strides: layer.strides,
        pad: layer.padding as 'same' | 'valid',
        activation: activation === 'relu' ? 'relu' : 'linear',
      });
      return activation === 'relu' || activation === 'linear' || layer.activation === null ? y : layer.activation.apply(y);
    });
  };
  try {
    proto.call = Object.assign(call, { [PATCHED]: true as const });
  } catch {
    return false;
  }
  return proto.call === call;
}
