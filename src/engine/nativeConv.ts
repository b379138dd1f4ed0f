import type * as tf from '@tensorflow/tfjs';
import type { NativeAddon } from './nativeAddon.js';
import { conv2dGeometry, conv3dGeometry, filterShapeOf, hasNegativePadding, inShapeOf, outShapeOf, validRange, type ConvGeometry } from './convGeometry.js';
import { floatValues, sizeOf, type CpuBackend } from './cpuBackend.js';
import { callOriginal, replaceKernel, type KernelFunction, type KernelArgs } from './kernelRegistry.js';
import { FUSED_CONV2D_KERNEL, FUSED_CONV3D_KERNEL, registerFusedConvolutions } from './fusedConvolution.js';
import { uninitialisedFloat32 } from './outputArrays.js';

/** How `Conv3DBackpropFilterV2` runs (benchmarks, tests): 'auto' (depth taps where they pay), or always / never by depth taps. */
export const nativeConvTuning: { depthTaps: 'auto' | 'always' | 'never' } = { depthTaps: 'auto' };

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

/** Activation codes understood by the addon's fused forward convolution. */
const ACTIVATIONS: Record<string, number> = { linear: 0, relu: 1, relu6: 2, elu: 3, sigmoid: 4, leakyrelu: 5 };

function dnnlDims(g: ConvGeometry) {
  return {
    src: [g.batch, g.inChannels, ...g.inSize],
    weights: [g.outChannels, g.inChannels, ...g.filterSize],
    dst: [g.batch, g.outChannels, ...g.outSize],
    dilations: g.dilations.map((d) => d - 1),
  };
}

function run(
  addon: NativeAddon,
  mode: 0 | 1 | 2,
  g: ConvGeometry,
  a: Float32Array,
  b: Float32Array,
  outSize: number,
  bias: Float32Array | null = null,
  activation = 0,
  alpha = 0,
  out = uninitialisedFloat32(outSize),
): Float32Array {
  // oneDNN writes every output element; with nothing to convolve (an empty input or filter) the output is zeros.
  if (outSize === 0 || a.length === 0 || b.length === 0) return out.fill(0);
  const d = dnnlDims(g);
  addon.conv(mode, d.src, d.weights, d.dst, g.strides, d.dilations, g.padL, g.padR, a, b, out, bias, activation, alpha);
  return out;
}

/**
 * The 3D filter gradient as one 2D filter gradient per depth tap kd: the input depth slices that tap read
 * and the matching dy slices, as batches of 2D images, give the kd block of the DHWIO gradient. oneDNN 2.6
 * has JIT kernels for channels-last 2D weight gradients but only gemm for 3D ones on AVX2, so the 2D calls
 * together are several times faster than the one 3D call (docs/engine.md has the measurements).
 */
/**
 * Whether a 3D filter gradient runs by depth taps (2D weight gradients) rather than as one oneDNN 3D call, by
 * geometry and oneDNN's instruction set `isa` (the addon's `cpuIsa()`), as measured per shape (docs/engine.md):
 * never for one input channel (a network's first layer: the addon's single-threaded 3D path is faster) or a
 * filter one voxel deep (the 1×1×1 head: taps gain nothing and pay the 2D call's overhead). Below AVX-512
 * oneDNN 2.6 has only gemm for 3D weight gradients, and the taps win everywhere else. From AVX-512 on it has
 * JIT kernels, and one 3D call wins wherever the filter is not dilated (a 3D U-Net step's 13 filter
 * gradients: 152 against 277 ms), while dilated filters are 2–3× slower as one call than by taps
 * (HighResNet's dilation-2 and -4 layers).
 */
export function filterGradByDepthTaps3d(g: Pick<ConvGeometry, 'inChannels' | 'filterSize' | 'dilations'>, isa: string): boolean {
  if (g.inChannels <= 1 || (g.filterSize[0] ?? 1) <= 1) return false;
  if (!isa.startsWith('avx512')) return true;
  return g.dilations.some((d) => d > 1);
}

function filterGradByDepthTaps(addon: NativeAddon, g: ConvGeometry, x: Float32Array, dy: Float32Array): Float32Array {
  const N = g.batch;
  const [D, H, W] = g.inSize as [number, number, number];
  const [OD, OH, OW] = g.outSize as [number, number, number];
  const [FD, FH, FW] = g.filterSize as [number, number, number];
  const [sd] = g.strides as [number, number, number];
  const inSlice = H * W * g.inChannels;
  const outSlice = OH * OW * g.outChannels;
  const tap = FH * FW * g.inChannels * g.outChannels;
  const grad = new Float32Array(FD * tap);
  for (let kd = 0; kd < FD; kd++) {
    const [lo, hi] = validRange(D, OD, sd, g.padL[0]!, kd * g.dilations[0]!);
    const depth = hi - lo;
    if (depth === 0) continue;
    const d0 = lo * sd - g.padL[0]! + kd * g.dilations[0]!;
    const g2 = (batch: number): ConvGeometry => ({
      ...g,
      batch,
      inSize: [H, W],
      outSize: [OH, OW],
      filterSize: [FH, FW],
      strides: g.strides.slice(1),
      dilations: g.dilations.slice(1),
      padL: g.padL.slice(1),
      padR: g.padR.slice(1),
    });
    const block = grad.subarray(kd * tap, (kd + 1) * tap);
    if (sd === 1) {
      // The slices of one batch item are contiguous in x and dy: no copies, one call per item.
      const part = N > 1 ? new Float32Array(tap) : block;
      for (let n = 0; n < N; n++) {
        const xs = x.subarray((n * D + d0) * inSlice, (n * D + d0 + depth) * inSlice);
        const dys = dy.subarray((n * OD + lo) * outSlice, (n * OD + hi) * outSlice);
        run(addon, 2, g2(depth), xs, dys, tap, null, 0, 0, part);
        if (part !== block) for (let i = 0; i < tap; i++) block[i] = block[i]! + part[i]!;
      }
      continue;
    }
    const xs = new Float32Array(N * depth * inSlice);
    const dys = new Float32Array(N * depth * outSlice);
    for (let n = 0; n < N; n++) {
      dys.set(dy.subarray((n * OD + lo) * outSlice, (n * OD + hi) * outSlice), n * depth * outSlice);
      for (let i = 0; i < depth; i++) {
        const d = d0 + i * sd;
        xs.set(x.subarray((n * D + d) * inSlice, (n * D + d + 1) * inSlice), (n * depth + i) * inSlice);
      }
    }
    run(addon, 2, g2(N * depth), xs, dys, tap, null, 0, 0, block);
  }
  return grad;
}

const isNhwc = (f: unknown): boolean => f === undefined || f === 'NHWC' || f === 'channelsLast';
const isNdhwc = (f: unknown): boolean => f === undefined || f === 'NDHWC' || f === 'channelsLast';

/**
 * Registers the oneDNN convolutions on the `cpu` backend: Conv2D, FusedConv2D (bias and the activations
 * linear, relu, relu6, elu, sigmoid, leakyrelu; anything else goes to TF.js's kernel), Conv2DBackpropInput,
 * Conv2DBackpropFilter, Conv3D, Conv3DBackpropInputV2, Conv3DBackpropFilterV2. Any stride, padding and
 * dilation; the backprop kernels also accept an optional `dilations` attribute (TF.js's own ignore it).
 * Channels-first layouts and non-float32 tensors go to TF.js's kernels. Also gendice's fused training
 * convolutions `GendiceFusedConv2D`, `GendiceFusedConv3D` and `GendiceReluGrad` (fusedConvolution.ts).
 */
export function registerNativeConvolutions(addon: NativeAddon): void {
  // oneDNN's instruction set, for the 3D filter gradients' way (an addon without cpuIsa: taken as below AVX-512).
  const isa = addon.cpuIsa?.() ?? 'unknown';
  const conv2d = (original: KernelFunction | undefined): KernelFunction => (args: KernelArgs) => {
    const backend = args.backend as CpuBackend;
    const { x, filter } = args.inputs;
    const attrs = args.attrs ?? {};
    const xv = x && floatValues(backend, x);
    const fv = filter && floatValues(backend, filter);
    if (!x || !filter || !xv || !fv || !isNhwc(attrs.dataFormat)) return callOriginal('Conv2D', original, args);
    const g = conv2dGeometry(x.shape, filter.shape, attrs.strides as [number, number], (attrs.dilations ?? 1) as [number, number], attrs.pad as Pad, attrs.dimRoundingMode as Rounding);
    const shape = outShapeOf(g);
    return backend.makeTensorInfo(shape, 'float32', run(addon, 0, g, xv, fv, sizeOf(shape)));
  };
  replaceKernel('Conv2D', 'cpu', 'oneDNN', conv2d);

  replaceKernel('FusedConv2D', 'cpu', 'oneDNN', (original) => (args: KernelArgs) => {
    const backend = args.backend as CpuBackend;
    const { x, filter, bias, preluActivationWeights } = args.inputs;
    const attrs = args.attrs ?? {};
    const activation = ACTIVATIONS[String(attrs.activation ?? 'linear')];
    const xv = x && floatValues(backend, x);
    const fv = filter && floatValues(backend, filter);
    const bv = bias ? floatValues(backend, bias) : null;
    if (!x || !filter || !xv || !fv || bv === undefined || preluActivationWeights || activation === undefined || !isNhwc(attrs.dataFormat)) {
      return callOriginal('FusedConv2D', original, args);
    }
    const g = conv2dGeometry(x.shape, filter.shape, attrs.strides as [number, number], (attrs.dilations ?? 1) as [number, number], attrs.pad as Pad, attrs.dimRoundingMode as Rounding);
    if (bv !== null && bv.length !== g.outChannels) return callOriginal('FusedConv2D', original, args);
    const shape = outShapeOf(g);
    const alpha = typeof attrs.leakyreluAlpha === 'number' ? attrs.leakyreluAlpha : 0.2;
    return backend.makeTensorInfo(shape, 'float32', run(addon, 0, g, xv, fv, sizeOf(shape), bv, activation, alpha));
  });

  replaceKernel('Conv2DBackpropInput', 'cpu', 'oneDNN', (original) => (args: KernelArgs) => {
    const backend = args.backend as CpuBackend;
    const { dy, filter } = args.inputs;
    const attrs = args.attrs ?? {};
    const dv = dy && floatValues(backend, dy);
    const fv = filter && floatValues(backend, filter);
    if (!dy || !filter || !dv || !fv || !isNhwc(attrs.dataFormat)) return callOriginal('Conv2DBackpropInput', original, args);
    const inputShape = attrs.inputShape as number[];
    const g = conv2dGeometry(inputShape, filter.shape, attrs.strides as [number, number], (attrs.dilations ?? 1) as [number, number], attrs.pad as Pad, attrs.dimRoundingMode as Rounding);
    return backend.makeTensorInfo(inShapeOf(g), 'float32', run(addon, 1, g, dv, fv, sizeOf(inputShape)));
  });

  replaceKernel('Conv2DBackpropFilter', 'cpu', 'oneDNN', (original) => (args: KernelArgs) => {
    const backend = args.backend as CpuBackend;
    const { x, dy } = args.inputs;
    const attrs = args.attrs ?? {};
    const xv = x && floatValues(backend, x);
    const dv = dy && floatValues(backend, dy);
    if (!x || !dy || !xv || !dv || !isNhwc(attrs.dataFormat)) return callOriginal('Conv2DBackpropFilter', original, args);
    const filterShape = attrs.filterShape as number[];
    const g = conv2dGeometry(x.shape, filterShape, attrs.strides as [number, number], (attrs.dilations ?? 1) as [number, number], attrs.pad as Pad, attrs.dimRoundingMode as Rounding);
    return backend.makeTensorInfo(filterShapeOf(g), 'float32', run(addon, 2, g, xv, dv, sizeOf(filterShape)));
  });

  replaceKernel('Conv3D', 'cpu', 'oneDNN', (original) => (args: KernelArgs) => {
    const backend = args.backend as CpuBackend;
    const { x, filter } = args.inputs;
    const attrs = args.attrs ?? {};
    const xv = x && floatValues(backend, x);
    const fv = filter && floatValues(backend, filter);
    if (!x || !filter || !xv || !fv || !isNdhwc(attrs.dataFormat)) return callOriginal('Conv3D', original, args);
    const g = conv3dGeometry(x.shape, filter.shape, attrs.strides as [number, number, number], (attrs.dilations ?? 1) as [number, number, number], attrs.pad as 'same');
    if (hasNegativePadding(g)) return callOriginal('Conv3D', original, args);
    const shape = outShapeOf(g);
    return backend.makeTensorInfo(shape, 'float32', run(addon, 0, g, xv, fv, sizeOf(shape)));
  });

  replaceKernel('Conv3DBackpropInputV2', 'cpu', 'oneDNN', (original) => (args: KernelArgs) => {
    const backend = args.backend as CpuBackend;
    const { dy, filter } = args.inputs;
    const attrs = args.attrs ?? {};
    const dv = dy && floatValues(backend, dy);
    const fv = filter && floatValues(backend, filter);
    if (!dy || !filter || !dv || !fv) return callOriginal('Conv3DBackpropInputV2', original, args);
    const inputShape = attrs.inputShape as number[];
    const g = conv3dGeometry(inputShape, filter.shape, attrs.strides as [number, number, number], (attrs.dilations ?? 1) as [number, number, number], attrs.pad as 'same');
    if (hasNegativePadding(g)) return callOriginal('Conv3DBackpropInputV2', original, args);
    return backend.makeTensorInfo(inShapeOf(g), 'float32', run(addon, 1, g, dv, fv, sizeOf(inputShape)));
  });

  replaceKernel('Conv3DBackpropFilterV2', 'cpu', 'oneDNN', (original) => (args: KernelArgs) => {
    const backend = args.backend as CpuBackend;
    const { x, dy } = args.inputs;
    const attrs = args.attrs ?? {};
    const xv = x && floatValues(backend, x);
    const dv = dy && floatValues(backend, dy);
    if (!x || !dy || !xv || !dv) return callOriginal('Conv3DBackpropFilterV2', original, args);
    const filterShape = attrs.filterShape as number[];
    const g = conv3dGeometry(x.shape, filterShape, attrs.strides as [number, number, number], (attrs.dilations ?? 1) as [number, number, number], attrs.pad as 'same');
    if (hasNegativePadding(g)) return callOriginal('Conv3DBackpropFilterV2', original, args);
    const byTaps = nativeConvTuning.depthTaps === 'auto' ? filterGradByDepthTaps3d(g, isa) : nativeConvTuning.depthTaps === 'always';
    const grad = byTaps ? filterGradByDepthTaps(addon, g, xv, dv) : run(addon, 2, g, xv, dv, sizeOf(filterShape));
    return backend.makeTensorInfo(filterShapeOf(g), 'float32', grad);
  });

  // gendice's fused convolution + bias + ReLU for training (fusedConvolution.ts): the same oneDNN call as FusedConv2D.
  registerFusedConvolutions(addon, (x, filter, bias, attrs, backend) => {
    const is3d = x.shape.length === 5;
    const name = is3d ? FUSED_CONV3D_KERNEL : FUSED_CONV2D_KERNEL;
    const xv = floatValues(backend, x);
    const fv = floatValues(backend, filter);
    const bv = bias !== undefined ? floatValues(backend, bias) : null;
    const activation = attrs.activation === 'relu' ? ACTIVATIONS.relu! : attrs.activation === 'linear' ? ACTIVATIONS.linear! : undefined;
    if (!xv || !fv || bv === undefined || activation === undefined) {
      throw new Error(`${name}: float32 x, filter and bias and activation 'linear' or 'relu' expected, got ${x.dtype}, ${filter.dtype}, ${bias?.dtype ?? 'no bias'} and '${String(attrs.activation)}'`);
    }
    const g = is3d
      ? conv3dGeometry(x.shape, filter.shape, attrs.strides as [number, number, number], 1, attrs.pad as 'same')
      : conv2dGeometry(x.shape, filter.shape, attrs.strides as [number, number], 1, attrs.pad as Pad, attrs.dimRoundingMode as Rounding);
    if (bv !== null && bv.length !== g.outChannels) throw new Error(`${name}: bias has ${bv.length} values for ${g.outChannels} output channels`);
    const shape = outShapeOf(g);
    return backend.makeTensorInfo(shape, 'float32', run(addon, 0, g, xv, fv, sizeOf(shape), bv, activation));
  });
}
