import * as tf from '@tensorflow/tfjs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { resetEngine, selectEngine } from '../../src/engine/node/index.js';
import { wasmConvTuning } from '../../src/engine/wasmConv.js';
import { maxRelError, onEngine, randn, tensor } from './_helpers.js';

// Kernels the wasm engine replaces beyond the convolution tests' cases. The 2D max-pool gradient (the
// heap scan of jsPooling.ts, replacing wasm's kernel) against stock cpu's: overlapping windows, 'same'
// padding, all-negative windows and ties (the first maximum in window order takes the gradient, as in
// TF.js's cpu kernel).
afterAll(() => resetEngine());

describe('2D max-pool gradient on wasm', () => {
  it.each([
    { shape: [2, 8, 8, 3], size: 2, strides: 2, pad: 'valid' as const },
    { shape: [1, 7, 9, 2], size: 3, strides: 2, pad: 'same' as const },
    { shape: [2, 7, 5, 1], size: 3, strides: 1, pad: 'valid' as const },
    { shape: [2, 6, 6, 4], size: 2, strides: 1, pad: 'same' as const },
    { shape: [1, 6, 9, 5], size: 3, strides: 3, pad: 'valid' as const },
  ])('$shape pool $size stride $strides $pad matches stock cpu', async ({ shape, size, strides, pad }) => {
    const x = randn(shape, 41);
    for (let i = 0; i < x.values.length; i += 3) x.values[i] = -Math.abs(x.values[i]!);
    // ties inside windows: a value copied to the next pixel of the same channel (along the width)
    const C = shape[3]!;
    for (let i = 0; i + C < x.values.length; i += 5 * C + 1) x.values[i + C] = x.values[i]!;
    const fn = () => {
      const f = (t: tf.Tensor) => tf.maxPool(t as tf.Tensor4D, size, strides, pad);
      const xt = tensor(x);
      const y = f(xt);
      const dy = tensor(randn(y.shape, 42));
      return [y, tf.grad((t: tf.Tensor) => tf.sum(tf.mul(f(t), dy)))(xt)];
    };
    const ref = await onEngine('cpu', fn);
    const got = await onEngine('wasm', fn);
    expect(Array.from(got[0]!)).toEqual(Array.from(ref[0]!));
    // The same positions take the gradient; overlapping windows add in another order than stock cpu's.
    expect(maxRelError([got[1]!], [ref[1]!])).toBeLessThan(1e-6);
  });
});

// Identity (tf.clone, and every tensor the engine saves for a backward pass) shares the data on wasm, as
// on cpu: the clone outlives its source, and disposing either leaves the other's values.
describe('Identity on wasm', () => {
  it('shares the data by reference count', async () => {
    await selectEngine({ engine: 'wasm', quiet: true });
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const before = backend.numDataIds();
    const a = tf.tensor([1, -2, 3, 4.5], [2, 2]);
    const b = tf.clone(a);
    expect(backend.numDataIds() - before).toBe(1); // one buffer for both
    a.dispose();
    expect(Array.from(b.dataSync())).toEqual([1, -2, 3, 4.5]);
    const c = tf.clone(b);
    b.dispose();
    expect(c.shape).toEqual([2, 2]);
    expect(Array.from(c.dataSync())).toEqual([1, -2, 3, 4.5]);
    c.dispose();
    expect(backend.numDataIds()).toBe(before);
  });
});

// Concat of equal parts on the last axis goes through a transpose on wasm; other concats stay TF.js's.
describe('Concat on wasm', () => {
  const bits = (v: Float32Array) => Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length));
  it.each([
    { shapes: [[5, 3], [5, 3]], axis: -1 },
    { shapes: [[2, 3, 4, 2], [2, 3, 4, 2], [2, 3, 4, 2]], axis: 3 },
    { shapes: [[2, 2, 3, 4, 5], [2, 2, 3, 4, 5]], axis: 4 },
    { shapes: [[2, 3, 4], [2, 3, 2]], axis: 2 },
    { shapes: [[2, 3, 4], [1, 3, 4]], axis: 0 },
    { shapes: [[1, 4], [1, 4]], axis: 1 },
  ])('$shapes on axis $axis matches stock cpu bit for bit', async ({ shapes, axis }) => {
    const parts = shapes.map((s, i) => {
      const t = randn(s, 50 + i);
      t.values[0] = -0;
      if (t.values.length > 2) t.values[2] = Number.NaN;
      return t;
    });
    const fn = () => tf.concat(parts.map((p) => tensor(p)), axis);
    const ref = await onEngine('cpu', fn);
    const got = await onEngine('wasm', fn);
    expect(bits(got[0]!)).toEqual(bits(ref[0]!));
  });
});

describe('SplitV on wasm', () => {
  const bits = (v: Float32Array) => Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length));
  it.each([
    { shape: [2, 3, 4, 6], splits: [3, 3], axis: 3 },
    { shape: [5, 8], splits: [2, 2, 2, 2], axis: -1 },
    { shape: [2, 2, 3, 4, 6], splits: [2, 2, 2], axis: 4 },
    { shape: [2, 3, 4, 6], splits: [2, 4], axis: 3 },
    { shape: [2, 3, 4, 6], splits: [1, 1], axis: 0 },
    { shape: [1, 6], splits: [3, 3], axis: 1 },
  ])('$shape into $splits on axis $axis matches stock cpu bit for bit', async ({ shape, splits, axis }) => {
    const x = randn(shape, 91);
    x.values[0] = -0;
    x.values[5] = Number.NaN;
    const fn = () => tf.split(tensor(x), splits, axis);
    const ref = await onEngine('cpu', fn);
    const got = await onEngine('wasm', fn);
    expect(got.length).toBe(splits.length);
    got.forEach((g, i) => expect(bits(g)).toEqual(bits(ref[i]!)));
  });
});

// The view filter gradient's padded copies are not chunked, so it runs only while they fit in
// wasmConvTuning.viewFloats; beyond, the gathering path takes over with the same values. (gendice's own
// kernel, which runs before both, is switched off here: wasmSimdKernels.test.ts has it.)
describe('wasm filter gradient paths', () => {
  const saved = { ...wasmConvTuning };
  afterEach(() => {
    Object.assign(wasmConvTuning, saved);
  });
  it('take the views up to viewFloats and the gathers beyond, with the same values', async () => {
    const x = randn([2, 5, 6, 7, 3], 61);
    const dy = randn([2, 5, 6, 7, 4], 62);
    const fn = () => tf.engine().runKernel('Conv3DBackpropFilterV2', { x: tensor(x), dy: tensor(dy) }, { filterShape: [3, 3, 3, 3, 4], strides: 1, pad: 'same' }) as tf.Tensor;
    await selectEngine({ engine: 'wasm', quiet: true });
    wasmConvTuning.filterGradKernel = false;
    const pad = tf.getKernel('PadV2', 'wasm')!;
    const original = pad.kernelFunc;
    let pads = 0;
    (pad as { kernelFunc: typeof original }).kernelFunc = (args) => {
      pads++;
      return original(args);
    };
    try {
      const byViews = await onEngine('wasm', fn);
      expect(pads).toBe(2);
      wasmConvTuning.viewFloats = 0;
      const byGathers = await onEngine('wasm', fn);
      expect(pads).toBe(2);
      expect(maxRelError(byViews, byGathers)).toBeLessThan(1e-6);
      expect(maxRelError(byViews, await onEngine('cpu', fn))).toBeLessThan(1e-5);
    } finally {
      (pad as { kernelFunc: typeof original }).kernelFunc = original;
    }
  });
});

// Input gradients of windows that tile the input (the transposed convolutions' upsampling) are a product and
// two transposes on wasm (backpropInputByTiles), with no additions: they must equal stock cpu's.
describe('input gradients of tiling windows on wasm', () => {
  it.each([
    { x: [2, 4, 6, 3], f: [2, 2, 3, 5], strides: [2, 2] },
    { x: [1, 6, 6, 2], f: [2, 3, 2, 4], strides: [2, 3] },
    { x: [3, 4, 4, 1], f: [1, 2, 1, 2], strides: [1, 2] },
    { x: [2, 4, 4, 6, 2], f: [2, 2, 3, 2, 3], strides: [2, 2, 3] },
    { x: [1, 3, 4, 4, 2], f: [1, 2, 2, 2, 4], strides: [1, 2, 2] },
  ])('x $x filter $f strides $strides matches stock cpu', async ({ x, f, strides }) => {
    const rank2 = x.length === 4;
    const out = [x[0]!, ...x.slice(1, -1).map((d, i) => d / strides[i]!), f[f.length - 1]!];
    const dy = randn(out, 81);
    dy.values[3] = 0;
    const fv = randn(f, 82);
    const fn = () =>
      rank2
        ? (tf.engine().runKernel('Conv2DBackpropInput', { dy: tensor(dy), filter: tensor(fv) }, { strides, pad: 'valid', dataFormat: 'NHWC', inputShape: x }) as tf.Tensor)
        : (tf.engine().runKernel('Conv3DBackpropInputV2', { dy: tensor(dy), filter: tensor(fv) }, { strides, pad: 'valid', inputShape: x }) as tf.Tensor);
    const ref = await onEngine('cpu', fn);
    const got = await onEngine('wasm', fn);
    expect(got[0]!.length).toBe(x.reduce((a, b) => a * b, 1));
    expect(maxRelError(got, ref)).toBeLessThan(1e-6);
  });
});

// TF.js's wasm Conv2D and FusedConv2D get 'same' padding wrong where a stride exceeds the filter along an
// axis (XNNPACK's TensorFlow-SAME flag); the wasm engine passes the padding as numbers.
describe("Conv2D and FusedConv2D with 'same' padding on wasm", () => {
  it.each([
    { x: [2, 2, 4, 3], f: [1, 2, 3, 2], strides: 2 },
    { x: [1, 8, 6, 4], f: [3, 2, 4, 3], strides: 3 },
    { x: [1, 6, 6, 1], f: [2, 2, 1, 1], strides: 3 },
    { x: [1, 7, 7, 2], f: [3, 3, 2, 2], strides: 2 },
  ])('x $x filter $f stride $strides matches stock cpu', async ({ x, f, strides }) => {
    const xv = randn(x, 71);
    const fv = randn(f, 72);
    const bias = randn([f[3]!], 73);
    const fn = () => {
      const xt = tensor(xv) as tf.Tensor4D;
      const ft = tensor(fv) as tf.Tensor4D;
      return [tf.conv2d(xt, ft, strides, 'same'), tf.fused.conv2d({ x: xt, filter: ft, strides, pad: 'same', bias: tensor(bias), activation: 'relu' })];
    };
    const ref = await onEngine('cpu', fn);
    expect(maxRelError(await onEngine('wasm', fn), ref)).toBeLessThan(1e-5);
  });
});
