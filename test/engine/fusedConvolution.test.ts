import * as tf from '@tensorflow/tfjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FUSED_CONV2D_KERNEL, FUSED_CONV3D_KERNEL, fusedConv, fusedConvAvailable, fusedConvolutionTuning, RELU_GRAD_KERNEL } from '../../src/engine/fusedConvolution.js';
import { installMissingGradients } from '../../src/engine/gradients/index.js';
import { resetEngine, selectEngine } from '../../src/engine/node/index.js';
import { createOptimizer } from '../../src/training/optimizer.js';
import { addonLoads, maxRelError, NO_ADDON, onEngine, randn, smallUNet, tensor } from './_helpers.js';

// gendice's fused convolution + bias + ReLU (src/engine/fusedConvolution.ts) against the unfused chain it
// replaces, bit for bit (the same float32 operations), and against stock cpu within float32 rounding.
beforeAll(() => installMissingGradients());
afterEach(() => {
  fusedConvolutionTuning.enabled = true;
});
afterAll(() => resetEngine());

/** The bit patterns of a float32 array (so that −0 and +0, and NaN payloads, count as different). */
const bits = (v: Float32Array): Uint32Array => new Uint32Array(v.buffer, v.byteOffset, v.length);

function expectSameBits(got: Float32Array[], want: Float32Array[], what: string): void {
  expect(got.length, what).toBe(want.length);
  got.forEach((g, i) => {
    const [a, b] = [bits(g), bits(want[i]!)];
    let differ = 0;
    for (let j = 0; j < a.length; j++) if (a[j] !== b[j]) differ++;
    expect(differ, `${what}: output ${i}, ${differ} of ${a.length} values differ`).toBe(0);
  });
}

interface Case {
  x: number[];
  f: number[];
  strides: number;
  pad: 'same' | 'valid';
  activation: 'relu' | 'linear';
  bias: boolean;
}
const cases: Case[] = [
  { x: [2, 9, 8, 3], f: [3, 3, 3, 5], strides: 1, pad: 'same', activation: 'relu', bias: true },
  { x: [1, 9, 8, 1], f: [3, 3, 1, 4], strides: 1, pad: 'same', activation: 'relu', bias: true },
  { x: [2, 8, 8, 4], f: [2, 2, 4, 3], strides: 2, pad: 'valid', activation: 'linear', bias: true },
  { x: [2, 7, 9, 16], f: [3, 3, 16, 32], strides: 1, pad: 'valid', activation: 'relu', bias: false },
  { x: [1, 16, 16, 33], f: [1, 1, 33, 2], strides: 1, pad: 'same', activation: 'linear', bias: false },
  { x: [2, 5, 6, 7, 2], f: [3, 3, 3, 2, 3], strides: 1, pad: 'same', activation: 'relu', bias: true },
  { x: [1, 6, 6, 6, 1], f: [3, 3, 3, 1, 8], strides: 1, pad: 'same', activation: 'relu', bias: true },
  { x: [2, 6, 6, 6, 3], f: [2, 2, 2, 3, 4], strides: 2, pad: 'valid', activation: 'linear', bias: true },
  { x: [1, 7, 6, 5, 16], f: [3, 3, 3, 16, 16], strides: 1, pad: 'valid', activation: 'relu', bias: false },
];
const label = (c: Case) => `x ${c.x} f ${c.f} s${c.strides} ${c.pad} ${c.activation}${c.bias ? ' bias' : ''}`;

/** y and the gradients of Σ y·r in x, filter (and bias), by the fused op or by the unfused chain. */
function forwardAndGradients(c: Case, fused: boolean): () => tf.Tensor[] {
  const x = randn(c.x, 1);
  const f = randn(c.f, 2);
  const b = randn([c.f[c.f.length - 1]!], 3);
  return () => {
    const xt = tensor(x);
    const ft = tf.mul(tensor(f), 0.3);
    const bt = tensor(b);
    const is3d = c.x.length === 5;
    const chain = (xi: tf.Tensor, fi: tf.Tensor, bi: tf.Tensor | null): tf.Tensor => {
      if (fused) return fusedConv({ x: xi, filter: fi, bias: bi, strides: c.strides, pad: c.pad, activation: c.activation });
      let y = is3d ? tf.conv3d(xi as tf.Tensor5D, fi as tf.Tensor5D, c.strides, c.pad) : tf.conv2d(xi as tf.Tensor4D, fi as tf.Tensor4D, c.strides, c.pad);
      if (bi !== null) y = tf.add(y, bi);
      return c.activation === 'relu' ? tf.relu(y) : y;
    };
    const y = chain(xt, ft, c.bias ? bt : null);
    const r = tf.tensor(randn(y.shape, 4).values, y.shape);
    const loss = (...v: tf.Tensor[]) => tf.sum(tf.mul(chain(v[0]!, v[1]!, c.bias ? v[2]! : null), r));
    const grads = tf.grads(loss)(c.bias ? [xt, ft, bt] : [xt, ft]);
    return [y, ...grads];
  };
}

describe.skipIf(!addonLoads)('fused convolution + bias + ReLU on the native engine', () => {
  it.each(cases)('equals the unfused chain bit for bit and stock cpu within 1e-5: $x $f $activation', async (c) => {
    await selectEngine({ engine: 'native', quiet: true });
    expect(fusedConvAvailable(c.x.length as 4 | 5)).toBe(true);
    const fused = await onEngine('native', forwardAndGradients(c, true));
    const unfused = await onEngine('native', forwardAndGradients(c, false));
    expectSameBits(fused, unfused, label(c));
    const stock = await onEngine('cpu', forwardAndGradients(c, false));
    expect(maxRelError(fused, stock), label(c)).toBeLessThan(1e-5);
  });

  it('computes no input gradient for a network input and nothing more than the unfused chain', async () => {
    await selectEngine({ engine: 'native', quiet: true });
    const x = tf.randomNormal([2, 8, 8, 1], 0, 1, 'float32', 1);
    const w = tf.variable(tf.randomNormal([3, 3, 1, 4], 0, 0.3, 'float32', 2));
    const b = tf.variable(tf.zeros([4]));
    const profile = await tf.profile(() => {
      const { grads, value } = tf.variableGrads(() => tf.sum(fusedConv({ x, filter: w, bias: b, strides: 1, pad: 'same', activation: 'relu' })) as tf.Scalar);
      tf.dispose([value, ...Object.values(grads)]);
    });
    const names = profile.kernels.map((k) => k.name);
    expect(names).toContain(FUSED_CONV2D_KERNEL);
    expect(names).toContain(RELU_GRAD_KERNEL);
    expect(names).toContain('Conv2DBackpropFilter');
    expect(names).not.toContain('Conv2DBackpropInput');
    tf.dispose([x, w, b]);
  });

  it('GendiceReluGrad equals TF.js\'s dy · step(y) bit for bit, NaN, ±0 and ±∞ included', async () => {
    const y = new Float32Array([1, 0, -0, -2, NaN, Infinity, -Infinity, 3e-39, -3e-39, 5]);
    const dy = new Float32Array([-1, -2, 3, -4, 5, 0, Infinity, -Infinity, NaN, -0]);
    const f = () => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.relu(v), tf.tensor(dy))))(tf.tensor(y));
    const native = await onEngine('native', f);
    const stock = await onEngine('cpu', f);
    expectSameBits(native, stock, 'relu gradient');
    await selectEngine({ engine: 'native', quiet: true });
    const kernels = (await tf.profile(() => tf.dispose(f()))).kernels.map((k) => k.name);
    expect(kernels).toContain(RELU_GRAD_KERNEL);
  });

  it('names the offending shapes', async () => {
    await selectEngine({ engine: 'native', quiet: true });
    expect(() => fusedConv({ x: tf.zeros([1, 4, 4, 2]), filter: tf.zeros([3, 3, 2, 3]), bias: tf.zeros([4]), strides: 1, pad: 'same', activation: 'relu' })).toThrow(
      'fusedConv: bias must be [3] (the filter\'s output channels), got [4]',
    );
    expect(() => fusedConv({ x: tf.zeros([4, 4, 2]), filter: tf.zeros([3, 3, 2, 3]), strides: 1, pad: 'same', activation: 'relu' })).toThrow('fusedConv: x and filter must both be rank 4 (2D) or 5 (3D), got [4, 4, 2] and [3, 3, 2, 3]');
  });

  // Whole training steps through tf.layers (tf.fused.conv2d in 2D, the Conv3D layer's call in 3D): the
  // fused and the unfused step give the same loss and the same weights, bit for bit.
  it.each([
    { name: '2D', input: [2, 16, 16, 1], filters: [4, 8], kernel: FUSED_CONV2D_KERNEL },
    { name: '3D', input: [2, 8, 8, 8, 1], filters: [4, 8], kernel: FUSED_CONV3D_KERNEL },
  ])('$name U-Net training steps are bit-identical fused and unfused, and the fused kernel runs', async ({ input, filters, kernel }) => {
    await selectEngine({ engine: 'native', quiet: true });
    const train = async (fused: boolean): Promise<{ values: Float32Array[]; kernels: string[] }> => {
      fusedConvolutionTuning.enabled = fused;
      const model = smallUNet(input.slice(1), filters, 5);
      const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
      const x = tf.randomNormal(input, 0, 1, 'float32', 6);
      const y = tf.tidy(() => tf.randomUniform([...input.slice(0, -1), 1], 0, 1, 'float32', 7).greater(0.8).toFloat());
      const optimizer = createOptimizer({ name: 'adam', momentum: 0 });
      const losses: number[] = [];
      const step = () =>
        tf.tidy(() => {
          const { value, grads } = tf.variableGrads(() => tf.losses.sigmoidCrossEntropy(y, model.predict(x) as tf.Tensor) as tf.Scalar, variables);
          optimizer.applyGradients(variables, grads, 1e-2);
          losses.push(value.dataSync()[0]!);
        });
      step();
      const before = tf.memory().numTensors;
      const profile = await tf.profile(step);
      expect(tf.memory().numTensors).toBe(before);
      const prediction = tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync() as Float32Array);
      const values = [Float32Array.from(losses), Float32Array.from(prediction), ...variables.map((v) => Float32Array.from(v.dataSync() as Float32Array))];
      optimizer.dispose();
      tf.dispose([x, y]);
      model.dispose();
      return { values, kernels: profile.kernels.map((k) => k.name) };
    };
    const unfused = await train(false);
    const fused = await train(true);
    expectSameBits(fused.values, unfused.values, 'losses, prediction and weights');
    expect(fused.kernels).toContain(kernel);
    expect(unfused.kernels).not.toContain(kernel);
    // Left in the fused step: the loss's own Relu and Abs (whose gradient takes a Step), and the transposed
    // convolutions' bias additions.
    const count = (kernels: string[], names: string[]) => kernels.filter((k) => names.includes(k)).length;
    const convLayers = 4 * filters.length - 2;
    expect(count(unfused.kernels, ['Relu']) - count(fused.kernels, ['Relu'])).toBe(convLayers);
    expect(count(unfused.kernels, ['Add']) - count(fused.kernels, ['Add'])).toBe(convLayers + 1);
    expect(count(fused.kernels, [RELU_GRAD_KERNEL])).toBe(convLayers + 1); // and the loss's Relu
    expect(count(unfused.kernels, [RELU_GRAD_KERNEL])).toBe(0);
  });
});

// On wasm the fused kernels are composed of the unfused chain's own kernels (wasmConv.ts): the same bits,
// fewer tensors kept for the backward pass.
describe('fused convolution + bias + ReLU on the wasm engine', () => {
  it.each(cases)('equals the unfused chain bit for bit and stock cpu within 1e-5: $x $f $activation', async (c) => {
    await selectEngine({ engine: 'wasm', quiet: true });
    expect(fusedConvAvailable(c.x.length as 4 | 5)).toBe(true);
    const fused = await onEngine('wasm', forwardAndGradients(c, true));
    const unfused = await onEngine('wasm', forwardAndGradients(c, false));
    expectSameBits(fused, unfused, label(c));
    const stock = await onEngine('cpu', forwardAndGradients(c, false));
    expect(maxRelError(fused, stock), label(c)).toBeLessThan(1e-5);
  });

  it('GendiceReluGrad equals TF.js\'s dy · step(y) bit for bit on wasm, NaN, ±0 and ±∞ included', async () => {
    const y = new Float32Array([1, 0, -0, -2, NaN, Infinity, -Infinity, 3e-39, -3e-39, 5]);
    const dy = new Float32Array([-1, -2, 3, -4, 5, 0, Infinity, -Infinity, NaN, -0]);
    const f = () => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.relu(v), tf.tensor(dy))))(tf.tensor(y));
    expectSameBits(await onEngine('wasm', f), await onEngine('cpu', f), 'relu gradient');
    await selectEngine({ engine: 'wasm', quiet: true });
    expect((await tf.profile(() => tf.dispose(f()))).kernels.map((k) => k.name)).toContain(RELU_GRAD_KERNEL);
    expect(() => tf.engine().runKernel(RELU_GRAD_KERNEL, { dy: tf.zeros([2, 3]), y: tf.zeros([4]) })).toThrow(`${RELU_GRAD_KERNEL}: dy and y must be float32 tensors of one shape, got [2, 3] float32 and [4] float32`);
  });

  it('leaves fewer tensors alive at the end of the forward pass than the chain: not its convolution outputs and biased sums', async () => {
    await selectEngine({ engine: 'wasm', quiet: true });
    const layers = 3;
    const shape = [2, 8, 8, 8, 4];
    const forwardBytes = (fused: boolean): number => {
      fusedConvolutionTuning.enabled = fused;
      const x = tensor(randn(shape, 5));
      const vars = Array.from({ length: layers }, (_, i) => [tf.mul(tensor(randn([3, 3, 3, 4, 4], 6 + i)), 0.2), tensor(randn([4], 9 + i))]).flat();
      let bytes = 0;
      const loss = (...v: tf.Tensor[]): tf.Scalar => {
        const before = tf.memory().numBytes;
        let h = x;
        for (let i = 0; i < layers; i++) {
          h = fused
            ? fusedConv({ x: h, filter: v[2 * i]!, bias: v[2 * i + 1]!, strides: 1, pad: 'same', activation: 'relu' })
            : tf.relu(tf.add(tf.conv3d(h as tf.Tensor5D, v[2 * i] as tf.Tensor5D, 1, 'same'), v[2 * i + 1]!));
        }
        bytes = tf.memory().numBytes - before;
        return tf.sum(h);
      };
      tf.dispose(tf.grads(loss)(vars));
      tf.dispose([x, ...vars]);
      return bytes;
    };
    const layerBytes = shape.reduce((a, b) => a * b, 1) * 4;
    // The chain also keeps each layer's convolution output and biased sum: two layer-sized tensors more.
    expect(forwardBytes(false) - forwardBytes(true)).toBeGreaterThanOrEqual(2 * layers * layerBytes);
  });
});

describe('fused convolution elsewhere', () => {
  it.skipIf(!addonLoads)('is absent on stock cpu and after resetEngine (the unfused chain runs)', async () => {
    await selectEngine({ engine: 'native', quiet: true });
    expect(fusedConvAvailable(4)).toBe(true);
    resetEngine();
    expect(fusedConvAvailable(4)).toBe(false);
    expect(fusedConvAvailable(5)).toBe(false);
  });
  it.skipIf(addonLoads)(NO_ADDON, () => undefined);
});
