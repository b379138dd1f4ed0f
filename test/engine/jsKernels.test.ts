import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAddon, memoryKernels, type NativeMemoryKernels } from '../../src/engine/node/addon.js';
import { resetEngine, selectEngine } from '../../src/engine/node/index.js';
import { registerElementwise } from '../../src/engine/jsElementwise.js';
import { registerPooling } from '../../src/engine/jsPooling.js';
import { registerReductions, sumAxes } from '../../src/engine/jsReduce.js';
import { registerSliceConcat } from '../../src/engine/jsSliceConcat.js';
import { replacedKernels, restoreKernels } from '../../src/engine/kernelRegistry.js';
import { addonLoads, maxRelError, NO_ADDON, randn, tensor } from './_helpers.js';

// The fast JS kernels need no addon: they are registered on stock cpu here and compared with TF.js's own.
beforeAll(async () => {
  await selectEngine({ engine: 'cpu', quiet: true });
});
afterAll(() => resetEngine());

const addon = loadAddon();
const nativeLoops: NativeMemoryKernels | undefined = addon.ok ? memoryKernels(addon.addon) : undefined;

function compare(f: () => tf.Tensor | tf.Tensor[], native?: NativeMemoryKernels): number {
  const values = () =>
    tf.tidy(() => {
      const out = f();
      return (Array.isArray(out) ? out : [out]).map((t) => Float32Array.from(t.dataSync() as Float32Array));
    });
  const shapes = () => tf.tidy(() => { const out = f(); return (Array.isArray(out) ? out : [out]).map((t) => [t.shape, t.dtype]); });
  const ref = values();
  const refShapes = shapes();
  registerSliceConcat(native);
  registerElementwise(native);
  registerReductions(native);
  registerPooling(native);
  try {
    expect(replacedKernels().length).toBe(native === undefined ? 29 : 33);
    expect(shapes()).toEqual(refShapes);
    return maxRelError(values(), ref);
  } finally {
    restoreKernels();
  }
}

const a = randn([2, 5, 6, 3], 11);

describe('Slice, SplitV, Concat', () => {
  it.each([
    { begin: [0, 1, 2, 0], size: [2, 3, 4, 3] },
    { begin: [1, 0, 0, 1], size: [1, 5, 6, 2] },
    { begin: [0, 0, 0, 0], size: [-1, -1, -1, -1] },
    { begin: [1, 2, 0, 0], size: [1, 1, 6, 3] },
  ])('slice $begin $size', ({ begin, size }) => {
    expect(compare(() => tf.slice(tensor(a), begin, size))).toBe(0);
  });
  it.each([
    { splits: [1, 2] as number | number[], axis: 3 },
    { splits: 2, axis: 0 },
    { splits: [2, -1, 1], axis: 2 },
  ])('split $splits on axis $axis', ({ splits, axis }) => {
    expect(compare(() => tf.split(tensor(a), splits, axis))).toBe(0);
  });
  it.each(['int32', 'bool'] as const)('slice of a %s tensor keeps its dtype and values', (dtype) => {
    const values = dtype === 'bool' ? Uint8Array.from(a.values, (v) => (v > 0 ? 1 : 0)) : Int32Array.from(a.values, (v) => Math.round(v * 10));
    const x = tf.tensor(values, a.shape, dtype);
    expect(compare(() => [tf.slice(x, [0, 1, 2, 0], [2, 3, 4, 3]), tf.slice(x, [1, 0, 0, 1], [1, 5, 6, 2])])).toBe(0);
  });
  it.each([0, 1, 3, -1])('concat on axis %i, including an odd-sized part', (axis) => {
    const b = randn([2, 5, 6, 3], 12);
    const other = a.shape.slice();
    other[axis < 0 ? 3 : axis] = 1;
    const c = randn(other, 13);
    expect(compare(() => tf.concat([tensor(a), tensor(b), tensor(c)], axis))).toBe(0);
  });
});

describe('broadcasting Add, Sub, Multiply, RealDiv', () => {
  const shapes: [number[], number[]][] = [
    [[2, 5, 6, 3], [2, 5, 6, 3]],
    [[2, 5, 6, 3], [3]],
    [[3], [2, 5, 6, 3]],
    [[2, 5, 6, 3], []],
    [[2, 1, 6, 1], [1, 5, 1, 3]],
    [[2, 5, 1, 3], [5, 6, 1]],
  ];
  it.each(shapes)('%j with %j', (sa, sb) => {
    const x = randn(sa, 14);
    const y = randn(sb, 15);
    expect(
      compare(() => [tf.add(tensor(x), tensor(y)), tf.sub(tensor(x), tensor(y)), tf.mul(tensor(x), tensor(y)), tf.div(tensor(x), tensor(y))]),
    ).toBe(0);
  });
  it('exp, log, log1p, sigmoid, tanh bit for bit, with NaN, infinities, signed zeros and out-of-domain values', () => {
    const v = tf.tensor([-2, -0, 0, 0.5, NaN, 3, Infinity, -Infinity, -1, -1.5, 88.8, -104, 1e-30, -1e-30, 1e30, -1e30, 20, -20]);
    const ops = (t: tf.Tensor) => [tf.exp(t), tf.log(t), tf.log1p(t), tf.sigmoid(t), tf.tanh(t)];
    expect(compare(() => [...ops(v), ...ops(tensor(a)), ...ops(tf.mul(tensor(a), 30))])).toBe(0);
    const bits = (f: () => tf.Tensor[]) => tf.tidy(() => f().map((t) => Array.from(new Uint32Array(Float32Array.from(t.dataSync() as Float32Array).buffer))));
    const ref = bits(() => ops(v));
    registerElementwise();
    try {
      expect(bits(() => ops(v))).toEqual(ref);
    } finally {
      restoreKernels();
    }
  });
  it('relu and step, with NaN and negative zero', () => {
    const v = tf.tensor([-2, -0, 0, 0.5, NaN, 3]);
    expect(compare(() => [tf.relu(v), tf.step(v), tf.step(v, 0.3), tf.relu(tensor(a))])).toBe(0);
  });
});

describe('Maximum, Minimum and the comparisons', () => {
  const shapes: [number[], number[]][] = [
    [[2, 5, 6, 3], [2, 5, 6, 3]],
    [[2, 5, 6, 3], [3]],
    [[2, 1, 6, 1], [1, 5, 1, 3]],
    [[], [2, 5, 6, 3]],
  ];
  const all = (x: tf.Tensor, y: tf.Tensor) => [
    tf.maximum(x, y),
    tf.minimum(x, y),
    tf.greaterEqual(x, y),
    tf.greater(x, y),
    tf.lessEqual(x, y),
    tf.less(x, y),
    tf.equal(x, y),
    tf.notEqual(x, y),
  ];
  it.each(shapes)('%j with %j: same values and dtypes (bool for comparisons) as TF.js', (sa, sb) => {
    const x = randn(sa, 16);
    const y = randn(sb, 17);
    expect(compare(() => all(tensor(x), tensor(y)))).toBe(0);
    expect(compare(() => all(tensor(x), tensor(x)))).toBe(0);
  });
  it('NaN, infinities and signed zeros as TF.js (Math.max/min)', () => {
    const x = tf.tensor([NaN, 1, -0, 0, Infinity, -Infinity, 2, NaN]);
    const y = tf.tensor([1, NaN, 0, -0, 3, -3, 2, NaN]);
    expect(compare(() => all(x, y))).toBe(0);
    registerElementwise();
    try {
      const got = tf.tidy(() => [tf.maximum(x, y).dataSync(), tf.minimum(x, y).dataSync()]);
      expect(Object.is(got[0]![2], 0)).toBe(true);
      expect(Object.is(got[1]![2], -0)).toBe(true);
    } finally {
      restoreKernels();
    }
  });
});

describe('Softmax and Cast', () => {
  it.each([[[2, 5, 6, 3]], [[7, 2]], [[4, 1]], [[3, 10]]])('softmax over the last axis of %j', (shape) => {
    const x = randn(shape, 18);
    expect(compare(() => [tf.softmax(tensor(x)), tf.softmax(tf.mul(tensor(x), 40))])).toBe(0);
  });
  it('softmax with NaN and infinite logits', () => {
    const x = tf.tensor([[NaN, 1, 2], [Infinity, 0, 1], [-Infinity, 0, 1], [1, 1, 1]]);
    expect(compare(() => tf.softmax(x))).toBe(0);
  });
  it('casts bool and int32 to float32 with Float32Array values, which the float32 kernels then take', () => {
    const bools = tf.tensor([true, false, true], [3], 'bool');
    const ints = tf.tensor([3, -7, 0], [3], 'int32');
    expect(compare(() => [tf.cast(bools, 'float32'), tf.cast(ints, 'float32'), tf.mul(tf.cast(bools, 'float32'), tf.tensor([2, 3, 4]))])).toBe(0);
    registerElementwise();
    try {
      const t = tf.cast(ints, 'float32');
      const backend = tf.backend() as unknown as { data: { get(id: tf.DataId): { values: unknown } } };
      expect(backend.data.get(t.dataId).values).toBeInstanceOf(Float32Array);
      t.dispose();
    } finally {
      restoreKernels();
    }
  });
});

describe('Sum', () => {
  it.each([[[0, 1, 2]], [[3]], [[1, 2]], [[0, 2]], [[0, 1, 2, 3]], [[1]]])('over axes %j, with and without keepDims', (axes) => {
    expect(compare(() => [tf.sum(tensor(a), axes), tf.sum(tensor(a), axes, true)])).toBeLessThan(1e-6);
  });
});

describe('max pooling and its gradient', () => {
  it.each([
    { shape: [2, 8, 8, 3], size: 2, strides: 2, pad: 'valid' as const },
    { shape: [1, 7, 9, 2], size: 3, strides: 2, pad: 'same' as const },
    { shape: [2, 7, 5, 1], size: 3, strides: 1, pad: 'valid' as const },
  ])('2D $shape pool $size stride $strides $pad', ({ shape, size, strides, pad }) => {
    const x = randn(shape, 16);
    expect(
      compare(() => {
        const [y, g] = tf.tidy(() => {
          const xt = tensor(x) as tf.Tensor4D;
          const gfn = tf.grad((t: tf.Tensor) => tf.maxPool(t as tf.Tensor4D, size, strides, pad).mul(tf.range(1, 2, 1)).sum());
          return [tf.maxPool(xt, size, strides, pad), gfn(xt)];
        });
        return [y!, g!];
      }),
    ).toBeLessThan(1e-6);
  });
  it.each([
    { shape: [2, 6, 6, 6, 2], size: 2, strides: 2, pad: 'valid' as const },
    { shape: [1, 5, 7, 6, 1], size: 3, strides: 2, pad: 'same' as const },
  ])('3D $shape pool $size stride $strides $pad', ({ shape, size, strides, pad }) => {
    const x = randn(shape, 17);
    expect(
      compare(() => {
        const xt = tensor(x) as tf.Tensor5D;
        const gfn = tf.grad((t: tf.Tensor) => tf.maxPool3d(t as tf.Tensor5D, size, strides, pad).square().sum());
        return [tf.maxPool3d(xt, size, strides, pad), gfn(xt)];
      }),
    ).toBeLessThan(1e-6);
  });
  it('ties go to the first maximum in window order, as in TF.js', () => {
    const x = { shape: [1, 4, 4, 1], values: new Float32Array(16).fill(1) };
    expect(compare(() => tf.grad((t: tf.Tensor) => tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid').sum())(tensor(x)))).toBe(0);
  });
});

// The same kernels with their inner loops in the addon (the native engine's configuration).
describe.skipIf(nativeLoops === undefined)('addon loops for Add, Sub, Multiply, RealDiv, Relu, Step, Sum', () => {
  const shapes: [number[], number[]][] = [
    [[2, 5, 6, 3], [2, 5, 6, 3]],
    [[2, 5, 6, 3], [3]],
    [[3], [2, 5, 6, 3]],
    [[2, 5, 6, 3], []],
    [[], [2, 5, 6, 3]],
    [[2, 1, 6, 1], [1, 5, 1, 3]],
    [[2, 5, 1, 3], [5, 6, 1]],
    [[4, 9, 7, 16], [1, 1, 1, 16]],
    [[1], [1]],
  ];
  it.each(shapes)('%j with %j', (sa, sb) => {
    const x = randn(sa, 24);
    const y = randn(sb, 25);
    expect(
      compare(() => [tf.add(tensor(x), tensor(y)), tf.sub(tensor(x), tensor(y)), tf.mul(tensor(x), tensor(y)), tf.div(tensor(x), tensor(y))], nativeLoops),
    ).toBe(0);
  });
  it('relu and step, with NaN, large values and negative zero', () => {
    const v = tf.tensor([-2, -0, 0, 0.5, NaN, 3, -1e30, 1e30]);
    expect(compare(() => [tf.relu(v), tf.step(v), tf.step(v, 0.3), tf.relu(tensor(a)), tf.step(tensor(a), -0.5)], nativeLoops)).toBe(0);
  });
  it('exp, log, log1p, sigmoid, tanh (glibc, both threads) bit for bit as TF.js, over special values and a million random floats', () => {
    const v = tf.tensor([-2, -0, 0, 0.5, NaN, 3, Infinity, -Infinity, -1, -1.5, 88.8, -104, 1e-30, -1e-30, 1e30, -1e30, 20, -20]);
    const ops = (t: tf.Tensor) => [tf.exp(t), tf.log(t), tf.log1p(t), tf.sigmoid(t), tf.tanh(t)];
    // Half random bit patterns (every exponent, NaNs and infinities included), half uniform in [-20, 20].
    const n = 1 << 20;
    const values = new Float32Array(n);
    const bits = new Uint32Array(values.buffer);
    let seed = 99;
    const next = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0);
    for (let i = 0; i < n; i++) {
      if (i % 2 === 0) bits[i] = next();
      else values[i] = (next() / 2 ** 32) * 40 - 20;
    }
    expect(compare(() => [...ops(v), ...ops(tf.tensor(values))], nativeLoops)).toBe(0);
  });
  it('neg, abs, sqrt, square, with NaN, negative zero and negative values', () => {
    const v = tf.tensor([-2, -0, 0, 0.5, NaN, 3, -1e30, 1e30, 1e-30, 2]);
    const ops = (t: tf.Tensor) => [tf.neg(t), tf.abs(t), tf.sqrt(t), tf.square(t)];
    expect(compare(() => [...ops(v), ...ops(tensor(a)), ...ops(tf.abs(tensor(a)))], nativeLoops)).toBe(0);
  });
  it.each([[[0, 1, 2]], [[3]], [[1, 2]], [[0, 2]], [[0, 1, 2, 3]], [[1]], [[0]]])('sum over axes %j, with and without keepDims', (axes) => {
    expect(compare(() => [tf.sum(tensor(a), axes), tf.sum(tensor(a), axes, true)], nativeLoops)).toBeLessThan(1e-6);
  });
  it('column sums (a bias gradient: all axes but the channels) bit for bit as a plain loop, in JS and in the addon', () => {
    for (const [shape, axes] of [[[8, 16, 16, 16], [0, 1, 2]], [[5000, 3], [0]], [[7, 33, 2], [0, 1]], [[40, 21], [0]]] as [number[], number[]][]) {
      const x = randn(shape, 27).values.map((v, i) => (i % 11 === 0 ? -0 : v * 10 ** (i % 9)));
      const cols = shape[shape.length - 1]!;
      const rows = x.length / cols;
      const reference = new Float64Array(cols);
      for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) reference[j] = reference[j]! + x[r * cols + j]!;
      expect(Array.from(sumAxes(x, shape, axes))).toEqual(Array.from(reference));
      const out = new Float32Array(cols);
      nativeLoops!.sum(x, out, [rows, cols], [1, 0]);
      expect(Array.from(out)).toEqual(Array.from(Float32Array.from(reference)));
    }
  });
  it('sum of a tensor with unit axes and of a scalar', () => {
    const u = randn([3, 1, 4, 1], 26);
    expect(compare(() => [tf.sum(tensor(u), [0, 2]), tf.sum(tensor(u), [1]), tf.sum(tf.scalar(2.5)), tf.sum(tensor(u))], nativeLoops)).toBeLessThan(1e-6);
  });
});

it.skipIf(addonLoads)(`addon loops are skipped: ${NO_ADDON}`, () => {
  expect(nativeLoops).toBeUndefined();
});

describe.skipIf(nativeLoops === undefined)('addon loop for max pooling and its gradient', () => {
  it.each([
    { shape: [2, 8, 8, 3], size: 2, strides: 2, pad: 'valid' as const },
    { shape: [1, 7, 9, 2], size: 3, strides: 2, pad: 'same' as const },
    { shape: [2, 7, 5, 1], size: 3, strides: 1, pad: 'valid' as const },
  ])('2D $shape pool $size stride $strides $pad', ({ shape, size, strides, pad }) => {
    const x = randn(shape, 36);
    expect(
      compare(() => {
        const xt = tensor(x) as tf.Tensor4D;
        const gfn = tf.grad((t: tf.Tensor) => tf.maxPool(t as tf.Tensor4D, size, strides, pad).mul(tf.range(1, 2, 1)).sum());
        return [tf.maxPool(xt, size, strides, pad), gfn(xt)];
      }, nativeLoops),
    ).toBeLessThan(1e-6);
  });
  it('overlapping windows with ties across channels, NaN and -Infinity, as in TF.js', () => {
    // 4 channels: ties everywhere, a NaN in a window, a channel of -Infinity only, random values.
    const values = new Float32Array(2 * 6 * 5 * 4);
    const r = randn([values.length], 38).values;
    for (let i = 0; i < values.length; i++) {
      const c = i % 4;
      values[i] = c === 0 ? 1 : c === 1 ? (i % 7 === 1 ? NaN : r[i]!) : c === 2 ? -Infinity : Math.round(r[i]! * 2);
    }
    const x = { shape: [2, 6, 5, 4], values };
    expect(
      compare(() => {
        const xt = tensor(x) as tf.Tensor4D;
        const gfn = tf.grad((t: tf.Tensor) => tf.maxPool(t as tf.Tensor4D, 3, 1, 'same').mul(tf.range(1, 5, 1)).sum());
        return [tf.maxPool(xt, 3, 1, 'same'), gfn(xt)];
      }, nativeLoops),
    ).toBe(0);
  });
  it.each([
    { shape: [2, 6, 6, 6, 2], size: 2, strides: 2, pad: 'valid' as const },
    { shape: [1, 5, 7, 6, 1], size: 3, strides: 2, pad: 'same' as const },
    { shape: [1, 5, 6, 5, 8], size: 3, strides: 1, pad: 'same' as const },
  ])('3D $shape pool $size stride $strides $pad', ({ shape, size, strides, pad }) => {
    const x = randn(shape, 37);
    expect(
      compare(() => {
        const xt = tensor(x) as tf.Tensor5D;
        const gfn = tf.grad((t: tf.Tensor) => tf.maxPool3d(t as tf.Tensor5D, size, strides, pad).square().sum());
        return [tf.maxPool3d(xt, size, strides, pad), gfn(xt)];
      }, nativeLoops),
    ).toBeLessThan(1e-6);
  });
  it('ties go to the first maximum in window order, as in TF.js', () => {
    const x = { shape: [1, 4, 4, 1], values: new Float32Array(16).fill(1) };
    expect(compare(() => tf.grad((t: tf.Tensor) => tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid').sum())(tensor(x)), nativeLoops)).toBe(0);
  });
});

describe.skipIf(nativeLoops === undefined)('addon copies for Slice, SplitV, Concat', () => {
  it.each([
    { begin: [0, 1, 2, 0], size: [2, 3, 4, 3] },
    { begin: [1, 0, 0, 1], size: [1, 5, 6, 2] },
    { begin: [0, 0, 0, 0], size: [-1, -1, -1, -1] },
    { begin: [1, 2, 0, 0], size: [1, 1, 6, 3] },
    { begin: [0, 0, 0, 1], size: [2, 5, 6, 2] },
    { begin: [0, 0, 3, 0], size: [2, 5, 2, 3] },
  ])('slice $begin $size', ({ begin, size }) => {
    expect(compare(() => tf.slice(tensor(a), begin, size), nativeLoops)).toBe(0);
  });
  it.each([
    { splits: [1, 2] as number | number[], axis: 3 },
    { splits: 2, axis: 0 },
    { splits: [2, -1, 1], axis: 2 },
    { splits: [1, 1, 1], axis: -1 },
  ])('split $splits on axis $axis', ({ splits, axis }) => {
    expect(compare(() => tf.split(tensor(a), splits, axis), nativeLoops)).toBe(0);
  });
  it.each([0, 1, 2, 3, -1])('concat on axis %i, including an odd-sized part', (axis) => {
    const b = randn([2, 5, 6, 3], 42);
    const other = a.shape.slice();
    other[axis < 0 ? 3 : axis] = 1;
    const c = randn(other, 43);
    expect(compare(() => tf.concat([tensor(a), tensor(b), tensor(c)], axis), nativeLoops)).toBe(0);
  });
});
