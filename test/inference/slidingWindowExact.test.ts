import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { nativeWindowBlend } from '../../src/engine/index.js';
import { loadAddon } from '../../src/engine/node/addon.js';
import { resetEngine, selectEngine } from '../../src/engine/node/index.js';
import { setNativeWindowBlend, windowBlendKernels } from '../../src/engine/windowBlend.js';
import { slidingWindowInference, type SlidingWindowOptions } from '../../src/inference/index.js';
import { blendWindow, gatherWindow, normaliseBlend } from '../../src/inference/windowBlending.js';
import { Random } from '../../src/common/random.js';
import { referenceSlidingWindow } from './slidingWindowReference.js';

const addon = loadAddon();
const nativeBlend = windowBlendKernels(addon.ok ? addon.addon : undefined);

function randomValues(seed: number, n: number): Float32Array {
  const r = new Random(seed);
  return Float32Array.from({ length: n }, () => r.normal());
}

/** The first index where the two arrays' bits differ, or -1 (the lengths must match). */
function firstBitDifference(a: Float32Array | Float64Array, b: Float32Array | Float64Array): number {
  if (a.length !== b.length || a.constructor !== b.constructor) return -2;
  const [x, y] = a instanceof Float32Array ? [new Uint32Array(a.buffer, a.byteOffset, a.length), new Uint32Array(b.buffer, b.byteOffset, b.length)] : [new BigUint64Array(a.buffer, a.byteOffset, a.length), new BigUint64Array(b.buffer, b.byteOffset, b.length)];
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

/** Convolutions with `kernel`-wide filters ('same' or 'valid' padding) to `classes` channels, then optionally ReLU in between. */
function convModel(rank: 2 | 3, channels: number, classes: number, padding: 'same' | 'valid', seed: number): tf.LayersModel {
  const conv = (filters: number, activation: 'relu' | 'linear', s: number) => {
    const args = { filters, kernelSize: 3, padding, activation, kernelInitializer: tf.initializers.glorotNormal({ seed: s }), biasInitializer: tf.initializers.randomNormal({ seed: s + 1 }) };
    return rank === 2 ? tf.layers.conv2d(args) : tf.layers.conv3d(args);
  };
  const input = tf.input({ shape: [...new Array<null>(rank).fill(null), channels] as number[] });
  return tf.model({ inputs: input, outputs: conv(classes, 'linear', seed + 2).apply(conv(4, 'relu', seed).apply(input)) as tf.SymbolicTensor });
}

interface Case {
  name: string;
  rank: 2 | 3;
  shape: number[];
  channels: number;
  classes: number;
  padding: 'same' | 'valid';
  options: SlidingWindowOptions;
}

const valid = (w: readonly number[]): number[] => w.map((s) => s - 4);
const cases: Case[] = [
  { name: '2D, one channel, three classes, gaussian, overlap 0.5', rank: 2, shape: [21, 23], channels: 1, classes: 3, padding: 'same', options: { windowSize: [8, 8], overlap: 0.5, batchSize: 3 } },
  { name: '2D, two channels, constant blending, pad value -1', rank: 2, shape: [19, 14], channels: 2, classes: 2, padding: 'same', options: { windowSize: [10, 9], overlap: 0.3, blending: 'constant', padValue: -1 } },
  { name: '2D, smaller outputs (DeepMedic-like), gaussian σ 0.2', rank: 2, shape: [19, 14], channels: 2, classes: 2, padding: 'valid', options: { windowSize: [10, 9], overlap: 0.3, sigmaScale: 0.2, outputShapeFor: valid } },
  { name: '3D, one channel, two classes, gaussian', rank: 3, shape: [13, 11, 12], channels: 1, classes: 2, padding: 'same', options: { windowSize: [6, 7, 5], overlap: 0.25, batchSize: 2 } },
  { name: '3D, two channels, three classes, constant, image thinner than the window on one axis', rank: 3, shape: [9, 4, 10], channels: 2, classes: 3, padding: 'same', options: { windowSize: [6, 6, 6], overlap: 0.5, blending: 'constant', padValue: 0.5 } },
  { name: '3D, smaller outputs (DeepMedic-like), pad value 2', rank: 3, shape: [11, 9, 10], channels: 1, classes: 2, padding: 'valid', options: { windowSize: [8, 7, 8], overlap: 0.3, outputShapeFor: valid, padValue: 2 } },
  { name: '3D, one class (sigmoid), image smaller than the window on every axis', rank: 3, shape: [5, 6, 3], channels: 2, classes: 1, padding: 'same', options: { windowSize: [8, 8, 8] } },
  { name: '3D, no activation, two classes', rank: 3, shape: [10, 8, 9], channels: 1, classes: 2, padding: 'same', options: { windowSize: [5, 5, 5], overlap: 0.4, activation: 'none' } },
];

type Setting = 'stock cpu (JS blending)' | 'wasm engine (JS blending)' | 'native engine (C++ blending)' | 'native engine, JS blending';
const settings: Setting[] = ['stock cpu (JS blending)', 'wasm engine (JS blending)', ...(nativeBlend ? (['native engine (C++ blending)', 'native engine, JS blending'] as const) : [])];

async function enter(setting: Setting): Promise<void> {
  if (setting === 'stock cpu (JS blending)' || setting === 'wasm engine (JS blending)') {
    await selectEngine({ engine: setting === 'wasm engine (JS blending)' ? 'wasm' : 'cpu', quiet: true });
    expect(nativeWindowBlend()).toBeUndefined();
    return;
  }
  resetEngine(); // selectEngine does nothing when asked again, and a case below removed the kernels
  await selectEngine({ engine: 'native', quiet: true });
  expect(nativeWindowBlend()).toBeDefined();
  if (setting === 'native engine, JS blending') setNativeWindowBlend(undefined);
}

describe.each(settings)('slidingWindowInference is bit-identical to the voxel-by-voxel algorithm it replaced: %s', (setting) => {
  afterAll(() => resetEngine());

  it.each(cases)('$name', async ({ rank, shape, channels, classes, padding, options }) => {
    await enter(setting);
    const model = convModel(rank, channels, classes, padding, 11);
    const image = randomValues(rank * 10 + channels, shape.reduce((a, v) => a * v, 1) * channels);
    const before = tf.memory().numTensors;
    const result = slidingWindowInference(model, image, shape, options);
    expect(tf.memory().numTensors).toBe(before);
    const expected = referenceSlidingWindow(model, image, shape, options);
    expect(result.windows).toBe(expected.windows);
    expect(result.windows).toBeGreaterThan(shape.every((d, i) => d <= options.windowSize[i]!) ? 0 : 1);
    expect(result.channels).toBe(classes);
    expect(firstBitDifference(result.output, expected.output)).toBe(-1);
    model.dispose();
  });

  it('a predictor that returns a tensor it keeps: not disposed, output bit-identical', async () => {
    await enter(setting);
    const kept = tf.tidy(() => tf.keep(tf.tensor(randomValues(3, 2 * 4 * 4 * 2), [2, 4, 4, 2])));
    const predictor = (): tf.Tensor => kept;
    const options: SlidingWindowOptions = { windowSize: [4, 4], overlap: 0.5, activation: 'none', batchSize: 2 };
    const result = slidingWindowInference(predictor, randomValues(4, 6 * 6), [6, 6], options);
    expect(kept.isDisposed).toBe(false);
    expect(firstBitDifference(result.output, referenceSlidingWindow(predictor, randomValues(4, 6 * 6), [6, 6], options).output)).toBe(-1);
    kept.dispose();
  });
});

describe.skipIf(!nativeBlend)('the blending kernels: C++ against JS (windowBlend.cc, windowBlending.ts)', () => {
  afterAll(() => setNativeWindowBlend(undefined));

  it.each([1, 2, 3])('%i channels: the same float64 sums and float32 quotients, windows in any position', (K) => {
    const grid = [7, 6, 9];
    const cells = grid[0]! * grid[1]! * grid[2]!;
    const rng = new Random(K);
    const sums = (): [Float64Array, Float64Array] => [Float64Array.from({ length: cells * K }, () => rng.normal()), Float64Array.from({ length: cells }, () => 1 + rng.next())];
    const [acc, wsum] = sums();
    const [accJs, wsumJs] = [acc.slice(), wsum.slice()];
    const box = [4, 6, 5];
    const weights = Float64Array.from({ length: 4 * 6 * 5 }, () => rng.next());
    const values = randomValues(K + 10, 3 + 4 * 6 * 5 * K);
    for (const start of [[0, 0, 0], [3, 0, 4], [1, 0, 2]]) {
      setNativeWindowBlend(nativeBlend);
      blendWindow(acc, wsum, grid, K, values, 3, weights, box, start);
      setNativeWindowBlend(undefined);
      blendWindow(accJs, wsumJs, grid, K, values, 3, weights, box, start);
    }
    expect(firstBitDifference(acc, accJs)).toBe(-1);
    expect(firstBitDifference(wsum, wsumJs)).toBe(-1);
    const extent = [6, 5, 9];
    const [out, outJs] = [new Float32Array(6 * 5 * 9 * K), new Float32Array(6 * 5 * 9 * K)];
    setNativeWindowBlend(nativeBlend);
    normaliseBlend(acc, wsum, grid, K, extent, out);
    setNativeWindowBlend(undefined);
    normaliseBlend(acc, wsum, grid, K, extent, outJs);
    expect(firstBitDifference(out, outJs)).toBe(-1);
    expect(out[((1 * 5 + 2) * 9 + 3) * K]).toBe(Math.fround(acc[((1 * 6 + 2) * 9 + 3) * K]! / wsum[(1 * 6 + 2) * 9 + 3]!));
  });

  it('reject boxes outside the grid and arrays of the wrong size, naming the function', () => {
    const acc = new Float64Array(2 * 3 * 4 * 2);
    const wsum = new Float64Array(2 * 3 * 4);
    const values = new Float32Array(2 * 2 * 2 * 2);
    const weights = new Float64Array(8);
    expect(() => nativeBlend!.blendWindow(acc, wsum, [2, 3, 4], 2, values, 0, weights, [2, 2, 2], [1, 0, 0])).toThrow(/blendWindow: the box leaves the grid along axis 0/);
    expect(() => nativeBlend!.blendWindow(acc, wsum, [2, 3, 4], 2, values, 1, weights, [2, 2, 2], [0, 0, 0])).toThrow(/blendWindow: weights must hold the box's voxels and values box × channels from valuesOffset/);
    expect(() => nativeBlend!.blendWindow(acc, wsum, [2, 3, 4], 3, values, 0, weights, [2, 2, 2], [0, 0, 0])).toThrow(/blendWindow: acc and weightSums must hold/);
    expect(() => nativeBlend!.blendWindow(new Float32Array(48) as unknown as Float64Array, wsum, [2, 3, 4], 2, values, 0, weights, [2, 2, 2], [0, 0, 0])).toThrow(/expected a Float64Array for acc/);
    expect(() => nativeBlend!.normaliseBlend(acc, wsum, [2, 3, 4], 2, [2, 3, 5], new Float32Array(60))).toThrow(/normaliseBlend: the extent exceeds the grid along axis 2/);
    expect(() => nativeBlend!.normaliseBlend(acc, wsum, [2, 3, 4], 2, [2, 3, 3], new Float32Array(10))).toThrow(/normaliseBlend: out must hold extent × channels floats/);
  });
});

describe('gatherWindow', () => {
  it('copies the window by rows, padding wherever it leaves the image (each side, each axis)', () => {
    const shape = [3, 4, 5];
    const image = Float32Array.from({ length: 3 * 4 * 5 * 2 }, (_, i) => i + 1);
    const window = [4, 3, 7];
    for (const origin of [[-1, 2, -3], [0, 0, 0], [2, -2, 1], [5, 0, 0], [0, 0, 6], [-4, 0, 0]]) {
      const dst = new Float32Array(3 + 4 * 3 * 7 * 2).fill(Number.NaN);
      gatherWindow(image, shape, 2, origin, window, -7, dst, 3);
      const expected: number[] = [];
      for (let i = 0; i < 4; i++)
        for (let j = 0; j < 3; j++)
          for (let k = 0; k < 7; k++)
            for (let c = 0; c < 2; c++) {
              const [x, y, z] = [origin[0]! + i, origin[1]! + j, origin[2]! + k];
              const inside = x >= 0 && y >= 0 && z >= 0 && x < 3 && y < 4 && z < 5;
              expected.push(inside ? image[((x * 4 + y) * 5 + z) * 2 + c]! : -7);
            }
      expect(Array.from(dst.subarray(3))).toEqual(expected);
      expect(Number.isNaN(dst[2])).toBe(true);
    }
  });
});
