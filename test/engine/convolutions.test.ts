import * as tf from '@tensorflow/tfjs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { resetEngine, type EngineName } from '../../src/engine/node/index.js';
import { wasmConvTuning } from '../../src/engine/wasmConv.js';
import { filterGradByDepthTaps3d, nativeConvTuning } from '../../src/engine/nativeConv.js';
import { addonLoads, maxRelError, NO_ADDON, onEngine, randn, tensor } from './_helpers.js';

// Every replaced convolution kernel against TF.js's stock cpu kernels, on the native and the wasm engine.
afterAll(() => resetEngine());

type Pad2 = 'same' | 'valid' | [[0, 0], [number, number], [number, number], [0, 0]];
interface Case2d { x: number[]; f: number[]; strides: number; pad: Pad2; dilation: number }
const cases2d: Case2d[] = [
  { x: [1, 7, 9, 3], f: [3, 3, 3, 4], strides: 1, pad: 'same', dilation: 1 },
  { x: [2, 7, 9, 3], f: [3, 3, 3, 4], strides: 2, pad: 'same', dilation: 1 },
  { x: [2, 8, 8, 2], f: [2, 2, 2, 3], strides: 2, pad: 'valid', dilation: 1 },
  { x: [3, 9, 7, 2], f: [3, 2, 2, 5], strides: 3, pad: 'valid', dilation: 1 },
  { x: [2, 9, 9, 2], f: [3, 3, 2, 3], strides: 1, pad: 'same', dilation: 2 },
  { x: [1, 11, 10, 1], f: [3, 3, 1, 2], strides: 1, pad: 'valid', dilation: 3 },
  { x: [2, 6, 7, 3], f: [3, 3, 3, 2], strides: 1, pad: [[0, 0], [1, 2], [0, 1], [0, 0]], dilation: 1 },
  { x: [2, 6, 7, 3], f: [3, 3, 3, 2], strides: 2, pad: [[0, 0], [2, 0], [1, 1], [0, 0]], dilation: 1 },
];

interface Case3d { x: number[]; f: number[]; strides: number | [number, number, number]; pad: 'same' | 'valid'; dilation: number }
const cases3d: Case3d[] = [
  { x: [1, 5, 6, 7, 2], f: [3, 3, 3, 2, 3], strides: 1, pad: 'same', dilation: 1 },
  { x: [2, 5, 6, 7, 2], f: [3, 2, 3, 2, 3], strides: 2, pad: 'same', dilation: 1 },
  { x: [2, 6, 6, 6, 1], f: [2, 2, 2, 1, 4], strides: 2, pad: 'valid', dilation: 1 },
  { x: [1, 7, 8, 9, 2], f: [3, 3, 3, 2, 2], strides: 1, pad: 'same', dilation: 2 },
  { x: [2, 7, 7, 7, 1], f: [2, 3, 2, 1, 2], strides: 1, pad: 'valid', dilation: 2 },
  // One input channel, stride 1, same: the U-Net's first layer, whose weight gradient the addon runs on one thread.
  { x: [2, 9, 8, 7, 1], f: [3, 3, 3, 1, 4], strides: 1, pad: 'same', dilation: 1 },
  // Mixed strides and 'valid' with unit strides: the wasm kernels' other gather and scatter paths.
  { x: [2, 5, 7, 6, 3], f: [2, 3, 3, 3, 2], strides: [2, 1, 1], pad: 'same', dilation: 1 },
  { x: [1, 6, 7, 8, 2], f: [3, 3, 3, 2, 2], strides: [1, 1, 2], pad: 'valid', dilation: 1 },
  { x: [2, 6, 5, 7, 2], f: [3, 3, 3, 2, 3], strides: 1, pad: 'valid', dilation: 1 },
  // Windows that tile the input (the U-Net's downsampling): wasm's filter gradient by one transpose.
  { x: [2, 4, 6, 8, 3], f: [2, 2, 2, 3, 2], strides: 2, pad: 'same', dilation: 1 },
];

const name2 = (c: Case2d) => `x ${c.x} f ${c.f} s${c.strides} ${Array.isArray(c.pad) ? 'explicit' : c.pad} d${c.dilation}`;
const name3 = (c: Case3d) => `x ${c.x} f ${c.f} s${c.strides} ${c.pad} d${c.dilation}`;
const engines: EngineName[] = ['native', 'wasm'];

function conv2dKernels(c: Case2d): () => tf.Tensor[] {
  const x = randn(c.x, 1);
  const f = randn(c.f, 2);
  const b = randn([c.f[3]!], 3);
  return () => {
    const xt = tensor(x) as tf.Tensor4D;
    const ft = tensor(f) as tf.Tensor4D;
    const y = tf.conv2d(xt, ft, c.strides, c.pad, 'NHWC', c.dilation);
    const fused = tf.fused.conv2d({ x: xt, filter: ft, strides: c.strides, pad: c.pad, dilations: c.dilation, bias: tensor(b), activation: 'relu' });
    const dy = tf.tensor(randn(y.shape, 4).values, y.shape) as tf.Tensor4D;
    const out: tf.Tensor[] = [y, fused];
    if (c.dilation === 1) {
      out.push(tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: ft }, { inputShape: c.x, strides: c.strides, pad: c.pad, dataFormat: 'NHWC' }) as tf.Tensor);
      out.push(tf.engine().runKernel('Conv2DBackpropFilter', { x: xt, dy }, { filterShape: c.f, strides: c.strides, pad: c.pad, dataFormat: 'NHWC' }) as tf.Tensor);
    }
    return out;
  };
}

describe.each(engines)('2D convolution kernels on %s match stock cpu', (engine) => {
  it.skipIf(engine === 'native' && !addonLoads).each(cases2d)(`${engine}: forward, fused, input and filter gradients, $strides $pad $dilation`, async (c) => {
    const fn = conv2dKernels(c);
    const ref = await onEngine('cpu', fn);
    const got = await onEngine(engine, fn);
    expect(got.map((g) => g.length)).toEqual(ref.map((r) => r.length));
    expect(maxRelError(got, ref), name2(c)).toBeLessThan(1e-5);
  });
});

function conv3dKernels(c: Case3d): () => tf.Tensor[] {
  const x = randn(c.x, 5);
  const f = randn(c.f, 6);
  return () => {
    const xt = tensor(x) as tf.Tensor5D;
    const ft = tensor(f) as tf.Tensor5D;
    const y = tf.conv3d(xt, ft, c.strides, c.pad, 'NDHWC', c.dilation);
    const dy = tf.tensor(randn(y.shape, 7).values, y.shape);
    const out: tf.Tensor[] = [y];
    if (c.dilation === 1) {
      out.push(tf.engine().runKernel('Conv3DBackpropInputV2', { dy, filter: ft }, { inputShape: c.x, strides: c.strides, pad: c.pad }) as tf.Tensor);
      out.push(tf.engine().runKernel('Conv3DBackpropFilterV2', { x: xt, dy }, { filterShape: c.f, strides: c.strides, pad: c.pad }) as tf.Tensor);
    }
    return out;
  };
}

describe.each(engines)('3D convolution kernels on %s match stock cpu', (engine) => {
  it.skipIf(engine === 'native' && !addonLoads).each(cases3d)(`${engine}: forward, input and filter gradients, $strides $pad $dilation`, async (c) => {
    const fn = conv3dKernels(c);
    const ref = await onEngine('cpu', fn);
    const got = await onEngine(engine, fn);
    expect(got.map((g) => g.length)).toEqual(ref.map((r) => r.length));
    expect(maxRelError(got, ref), name3(c)).toBeLessThan(1e-5);
  });
});

// Conv3DBackpropFilterV2 on native runs by depth taps (2D weight gradients) or as one 3D call, by the CPU
// (nativeConv.ts); both ways are checked here whatever this machine picks.
describe.skipIf(!addonLoads).each(['always', 'never'] as const)('native 3D filter gradient with depth taps %s matches stock cpu', (depthTaps) => {
  afterEach(() => {
    nativeConvTuning.depthTaps = 'auto';
  });
  it.each(cases3d.filter((c) => c.dilation === 1))(`${depthTaps}: $x $f $strides $pad`, async (c) => {
    const fn = conv3dKernels(c);
    const ref = await onEngine('cpu', fn);
    nativeConvTuning.depthTaps = depthTaps;
    expect(maxRelError(await onEngine('native', fn), ref), name3(c)).toBeLessThan(1e-5);
  });
});

// The rule that picks the way on 'auto' (measured per shape, docs/engine.md).
describe('3D filter gradient way on auto', () => {
  const g = (inChannels: number, depth: number, dilation: number) => ({ inChannels, filterSize: [depth, 3, 3], dilations: [dilation, dilation, dilation] });
  it('below AVX-512: depth taps wherever there is more than one input channel and filter depth', () => {
    expect(filterGradByDepthTaps3d(g(8, 3, 1), 'avx2')).toBe(true);
    expect(filterGradByDepthTaps3d(g(8, 3, 2), 'avx2')).toBe(true);
    expect(filterGradByDepthTaps3d(g(8, 3, 1), 'unknown')).toBe(true);
    expect(filterGradByDepthTaps3d(g(1, 3, 1), 'avx2')).toBe(false);
    expect(filterGradByDepthTaps3d(g(8, 1, 1), 'avx2')).toBe(false);
  });
  it('from AVX-512 on: one 3D call unless the filter is dilated', () => {
    for (const isa of ['avx512_core', 'avx512_core_amx']) {
      expect(filterGradByDepthTaps3d(g(8, 3, 1), isa)).toBe(false);
      expect(filterGradByDepthTaps3d(g(8, 3, 2), isa)).toBe(true);
      expect(filterGradByDepthTaps3d({ inChannels: 8, filterSize: [3, 3, 3], dilations: [1, 4, 1] }, isa)).toBe(true);
      expect(filterGradByDepthTaps3d(g(1, 3, 2), isa)).toBe(false);
      expect(filterGradByDepthTaps3d(g(8, 1, 2), isa)).toBe(false);
    }
  });
});

// The wasm kernels work through large tensors in chunks of output rows; shrinking the chunk to a few rows
// puts chunk boundaries inside lines, depth slices and batch items of these small cases. Filter gradients
// and 3D convolutions then gather on unit strides too (the cases above ran them by heap views, or gendice's
// own filter gradient kernel where it takes the geometry; it is switched off here).
describe('wasm convolution kernels with tiny chunks match stock cpu', () => {
  const saved = { ...wasmConvTuning };
  afterEach(() => {
    Object.assign(wasmConvTuning, saved);
  });
  it.each(cases2d)('2D $x $f $strides $pad $dilation', async (c) => {
    const fn = conv2dKernels(c);
    const ref = await onEngine('cpu', fn);
    wasmConvTuning.chunkFloats = 37;
    wasmConvTuning.filterGradByViews = false;
    wasmConvTuning.filterGradKernel = false;
    expect(maxRelError(await onEngine('wasm', fn), ref), name2(c)).toBeLessThan(1e-5);
  });
  it.each(cases3d)('3D $x $f $strides $pad $dilation', async (c) => {
    const fn = conv3dKernels(c);
    const ref = await onEngine('cpu', fn);
    wasmConvTuning.chunkFloats = 37;
    wasmConvTuning.filterGradByViews = false;
    wasmConvTuning.filterGradKernel = false;
    wasmConvTuning.forwardByViews = false;
    expect(maxRelError(await onEngine('wasm', fn), ref), name3(c)).toBeLessThan(1e-5);
  });
});

// Stock backprop kernels ignore dilations, so dilated gradients are checked through the adjoint identity
// <conv(x), dy> = <x, dataGrad(dy)> = <filter, filterGrad(x, dy)>, in float64.
// native runs each case with the 3D filter gradient's way on 'auto' and forced both ways.
type DepthTaps = typeof nativeConvTuning.depthTaps;
const adjointRuns: { engine: EngineName; taps: DepthTaps }[] = engines.flatMap((engine) =>
  (engine === 'native' ? (['auto', 'always', 'never'] as const) : (['auto'] as const)).map((taps) => ({ engine, taps })),
);
describe.each(adjointRuns)('dilated convolution gradients on $engine (3D filter gradient way $taps) are the adjoints of the forward pass', ({ engine, taps }) => {
  afterEach(() => {
    nativeConvTuning.depthTaps = 'auto';
  });
  const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * b[i]!, 0);
  it.skipIf(engine === 'native' && !addonLoads).each([
    { x: [2, 9, 8, 2], f: [3, 3, 2, 3], pad: 'same' as const, dilation: 2 },
    { x: [1, 11, 9, 1], f: [3, 2, 1, 2], pad: 'valid' as const, dilation: 3 },
    { x: [1, 7, 8, 6, 2], f: [3, 3, 2, 2, 2], pad: 'same' as const, dilation: 2 },
  ])(`${engine}: x $x dilation $dilation $pad`, async (c) => {
    const is3d = c.x.length === 5;
    const x = randn(c.x, 8);
    const f = randn(c.f, 9);
    nativeConvTuning.depthTaps = taps;
    const [y, dx, df, dy] = await onEngine(engine, () => {
      const xt = tensor(x);
      const ft = tensor(f);
      const yt = is3d ? tf.conv3d(xt as tf.Tensor5D, ft as tf.Tensor5D, 1, c.pad, 'NDHWC', c.dilation) : tf.conv2d(xt as tf.Tensor4D, ft as tf.Tensor4D, 1, c.pad, 'NHWC', c.dilation);
      const dyt = tf.tensor(randn(yt.shape, 10).values, yt.shape);
      const common = { strides: 1, pad: c.pad, dilations: c.dilation, dataFormat: is3d ? 'NDHWC' : 'NHWC' };
      const dxt = tf.engine().runKernel(is3d ? 'Conv3DBackpropInputV2' : 'Conv2DBackpropInput', { dy: dyt, filter: ft }, { ...common, inputShape: c.x }) as tf.Tensor;
      const dft = tf.engine().runKernel(is3d ? 'Conv3DBackpropFilterV2' : 'Conv2DBackpropFilter', { x: xt, dy: dyt }, { ...common, filterShape: c.f }) as tf.Tensor;
      return [yt, dxt, dft, dyt];
    });
    const lhs = dot(y!, dy!);
    expect(Math.abs(dot(x.values, dx!) - lhs) / Math.abs(lhs)).toBeLessThan(1e-5);
    expect(Math.abs(dot(f.values, df!) - lhs) / Math.abs(lhs)).toBeLessThan(1e-5);
  });
});

it.skipIf(addonLoads)(`native convolution cases are skipped: ${NO_ADDON}`, () => {
  expect(addonLoads).toBe(false);
});

// SplitV on wasm (contiguous-run copies on the heap) against stock cpu, rank 4 and 5, every axis.
describe('SplitV on wasm matches stock cpu', () => {
  it.each([
    { shape: [2, 5, 6, 3], splits: [1, 2] as number | number[], axis: 3 },
    { shape: [2, 4, 5, 6, 4], splits: [2, 2] as number | number[], axis: 4 },
    { shape: [2, 4, 5, 6, 3], splits: [1, -1, 2] as number | number[], axis: 2 },
    { shape: [2, 4, 5, 6, 3], splits: 2 as number | number[], axis: 0 },
    { shape: [3, 4, 5, 6, 3], splits: [0, 3] as number | number[], axis: 0 },
  ])('$shape split $splits on axis $axis', async ({ shape, splits, axis }) => {
    const x = randn(shape, 51);
    const f = () => tf.split(tensor(x), splits, axis);
    const ref = await onEngine('cpu', f);
    const got = await onEngine('wasm', f);
    expect(maxRelError(got, ref)).toBe(0);
  });
});

// Sum on wasm (one pass, float64 accumulation) against stock cpu.
describe('Sum on wasm matches stock cpu', () => {
  it.each([
    { shape: [2, 5, 6, 3], axes: [0, 1, 2] },
    { shape: [2, 4, 5, 6, 3], axes: [0, 1, 2, 3] },
    { shape: [2, 4, 5, 6, 3], axes: [4] },
    { shape: [2, 4, 5, 6, 3], axes: [1, 3] },
    { shape: [2, 4, 5, 6, 3], axes: [0, 1, 2, 3, 4] },
    { shape: [7], axes: [0] },
  ])('$shape over $axes, with and without keepDims', async ({ shape, axes }) => {
    const x = randn(shape, 52);
    const f = () => [tf.sum(tensor(x), axes), tf.sum(tensor(x), axes, true)];
    const ref = await onEngine('cpu', f);
    const got = await onEngine('wasm', f);
    expect(maxRelError(got, ref)).toBeLessThan(1e-5);
  });
});
