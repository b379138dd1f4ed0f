import * as tf from '@tensorflow/tfjs';
import { fusedConv, fusedConvAvailable } from '../fusedConvolution.js';

/**
 * `tf.fused.conv2d` (which `tf.layers.conv2d` always calls) keeps the fused kernel while recording
 * gradients when the activation is linear, under a private custom gradient that (a) rejects dilations > 1
 * and (b) computes every input's gradient eagerly, the input's too: for a network's first layer that is an
 * input gradient nobody asked for (about half of a paper-2d TwoPathCNN step: docs/engine.md). That gradient
 * is not in the registry, so it cannot be replaced there: instead `tf.fused.conv2d` is wrapped so that
 * calls made while gradients are recorded, and dilated calls, run
 * unfused (Conv2D, bias Add, activation), whose gradients are the registered ones: per-input and lazy, so
 * only the gradients on the path to the variables run, and including gendice's dilated Conv2D gradient.
 * Calls outside gradient recording (inference) with no dilation keep the fused kernel.
 *
 * Where the active backend has gendice's fused training kernel (`fusedConvAvailable`, the native and wasm engines),
 * calls recorded for gradients run it instead (channels-last, no dilation, no PReLU): bias and ReLU fused
 * into the convolution, with a lazy per-input gradient of its own, bit-identical to the unfused chain
 * (fusedConvolution.ts); other activations (the sigmoid head) follow it unfused, the bias still fused.
 *
 * Returns false when the namespace cannot be patched (a frozen ES-module namespace, as in some
 * browser bundles); dilated 2D layers with a linear activation then cannot train there.
 */
type FusedConv2dArgs = Parameters<typeof tf.fused.conv2d>[0];

const WRAPPED = Symbol.for('gendice.fusedConv2dDilated');

/** Whether the engine is recording gradients (inside tf.grad, variableGrads, optimizer.minimize). */
function recordingGradients(): boolean {
  const state = (tf.engine() as unknown as { state?: { gradientDepth?: number } }).state;
  return (state?.gradientDepth ?? 0) > 0;
}

export function patchFusedConv2d(): boolean {
  const ns = tf.fused as unknown as Record<string, unknown>;
  const original = ns['conv2d'] as ((args: FusedConv2dArgs) => tf.Tensor) & { [WRAPPED]?: true };
  if (original[WRAPPED] === true) return true;
  const wrapped = Object.assign(
    (args: FusedConv2dArgs): tf.Tensor => {
      const d = args.dilations ?? 1;
      const dilated = Array.isArray(d) ? d.some((v) => v !== 1) : d !== 1;
      if (!dilated && !recordingGradients()) return original(args);
      if (!dilated && fusedTrainingApplies(args)) {
        return tf.tidy(() => {
          const relu = args.activation === 'relu';
          const y = fusedConv({
            x: args.x as tf.Tensor,
            filter: args.filter as tf.Tensor,
            bias: (args.bias as tf.Tensor | undefined) ?? null,
            strides: args.strides as number | number[],
            pad: args.pad as 'same' | 'valid' | number,
            ...(args.dimRoundingMode !== undefined ? { dimRoundingMode: args.dimRoundingMode } : {}),
            activation: relu ? 'relu' : 'linear',
          });
          return relu ? y : applyActivation(y, args);
        });
      }
      return tf.tidy(() => {
        let y: tf.Tensor = tf.conv2d(
          args.x as tf.Tensor4D,
          args.filter as tf.Tensor4D,
          args.strides,
          args.pad,
          args.dataFormat ?? 'NHWC',
          d,
          args.dimRoundingMode,
        );
        if (args.bias !== undefined && args.bias !== null) y = tf.add(y, args.bias);
        return applyActivation(y, args);
      });
    },
    { [WRAPPED]: true as const },
  );
  try {
    ns['conv2d'] = wrapped;
  } catch {
    return false;
  }
  return ns['conv2d'] === wrapped;
}

/** Whether gendice's fused training kernel takes this call: 4D float32 channels-last tensors, a per-channel bias or none, no PReLU, explicit padding as TF.js numbers or strings only. */
function fusedTrainingApplies(args: FusedConv2dArgs): boolean {
  const x = args.x as tf.Tensor;
  const filter = args.filter as tf.Tensor;
  const bias = args.bias as tf.Tensor | undefined | null;
  if (!(x instanceof tf.Tensor) || !(filter instanceof tf.Tensor) || x.rank !== 4 || filter.rank !== 4) return false;
  if (x.dtype !== 'float32' || filter.dtype !== 'float32' || (args.dataFormat ?? 'NHWC') !== 'NHWC') return false;
  if (bias != null && (!(bias instanceof tf.Tensor) || bias.dtype !== 'float32' || bias.rank !== 1 || bias.shape[0] !== filter.shape[3])) return false;
  if (args.activation === 'prelu' || typeof args.pad === 'object') return false;
  return fusedConvAvailable(4);
}

function applyActivation(y: tf.Tensor, args: FusedConv2dArgs): tf.Tensor {
  switch (args.activation ?? 'linear') {
    case 'linear':
      return y;
    case 'relu':
      return tf.relu(y);
    case 'relu6':
      return tf.relu6(y);
    case 'elu':
      return tf.elu(y);
    case 'sigmoid':
      return tf.sigmoid(y);
    case 'leakyrelu':
      return tf.leakyRelu(y, args.leakyreluAlpha ?? 0.2);
    case 'prelu':
      if (args.preluActivationWeights === undefined) throw new Error('fused.conv2d: prelu needs preluActivationWeights');
      return tf.prelu(y, args.preluActivationWeights);
    default:
      throw new Error(`fused.conv2d: unsupported activation '${String(args.activation)}'`);
  }
}
