import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { inferenceWindow, probabilitiesToLabels, slidingWindowInference, windowStarts } from '../../src/inference/index.js';
import { getNetworkGeometry } from '../../src/networks/index.js';
import { Random } from '../../src/common/random.js';

function randomImage(seed: number, n: number): Float32Array {
  const r = new Random(seed);
  return Float32Array.from({ length: n }, () => r.normal());
}

/** A 'same'-size model with no spatial context: 1×1 convolution to 3 classes. */
function pointwiseModel(rank: 2 | 3, channels: number): tf.LayersModel {
  const layer = rank === 2 ? tf.layers.conv2d({ filters: 3, kernelSize: 1, kernelInitializer: tf.initializers.glorotNormal({ seed: 3 }) }) : tf.layers.conv3d({ filters: 3, kernelSize: 1, kernelInitializer: tf.initializers.glorotNormal({ seed: 3 }) });
  const input = tf.input({ shape: [...new Array<null>(rank).fill(null), channels] as number[] });
  return tf.model({ inputs: input, outputs: layer.apply(input) as tf.SymbolicTensor });
}

/** A 'valid'-convolution model: two 3-wide convolutions, output = input - 4 per axis, no padding anywhere. */
function validModel(rank: 2 | 3, channels: number): tf.LayersModel {
  const conv = (f: number, seed: number) =>
    rank === 2
      ? tf.layers.conv2d({ filters: f, kernelSize: 3, padding: 'valid', activation: f === 2 ? 'linear' : 'relu', kernelInitializer: tf.initializers.glorotNormal({ seed }) })
      : tf.layers.conv3d({ filters: f, kernelSize: 3, padding: 'valid', activation: f === 2 ? 'linear' : 'relu', kernelInitializer: tf.initializers.glorotNormal({ seed }) });
  const input = tf.input({ shape: [...new Array<null>(rank).fill(null), channels] as number[] });
  const out = conv(2, 2).apply(conv(4, 1).apply(input)) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return a.length === b.length ? m : Infinity;
}

describe('windowStarts', () => {
  it.each([
    [10, 4, 2, [0, 2, 4, 6]],
    [10, 4, 3, [0, 3, 6]],
    [11, 4, 3, [0, 3, 6, 7]],
    [4, 4, 1, [0]],
    [3, 4, 1, [0]],
  ])('extent %i, window %i, stride %i', (extent, window, stride, expected) => {
    expect(windowStarts(extent, window, stride)).toEqual(expected);
  });
});

describe('slidingWindowInference equals a direct forward pass wherever the network allows one', () => {
  it('a window covering the whole image: identical to predict + softmax', () => {
    const model = validModel(2, 2);
    const image = randomImage(1, 20 * 20 * 2);
    // Output size = window - 4: a 24×24 window covers the 20×20 image in one output window.
    const result = slidingWindowInference(model, image, [20, 20], { windowSize: [24, 24], outputShapeFor: (w) => w.map((s) => s - 4) });
    expect(result.windows).toBe(1);
    const direct = tf.tidy(() => tf.softmax(model.predict(tf.pad(tf.tensor(image, [1, 20, 20, 2]), [[0, 0], [2, 2], [2, 2], [0, 0]])) as tf.Tensor).dataSync());
    expect(maxAbsDiff(result.output, direct)).toBeLessThan(1e-6);
  });

  it.each([
    ['gaussian', 0.5],
    ['constant', 0.25],
  ] as const)('1×1 network, many overlapping windows (%s blending, overlap %f): identical everywhere', (blending, overlap) => {
    const model = pointwiseModel(2, 1);
    const image = randomImage(2, 21 * 23);
    const result = slidingWindowInference(model, image, [21, 23], { windowSize: [8, 8], overlap, blending, batchSize: 3 });
    expect(result.windows).toBeGreaterThan(9);
    const direct = tf.tidy(() => tf.softmax(model.predict(tf.tensor(image, [1, 21, 23, 1])) as tf.Tensor).dataSync());
    expect(maxAbsDiff(result.output, direct)).toBeLessThan(1e-6);
  });

  it.each([2, 3] as const)('%iD valid-convolution network (output smaller than input), tiled windows: identical to the dense pass', (rank) => {
    const model = validModel(rank, 1);
    const shape = rank === 2 ? [19, 14] : [11, 9, 10];
    const n = shape.reduce((a, v) => a * v, 1);
    const image = randomImage(3, n);
    const window = rank === 2 ? [10, 9] : [8, 7, 8];
    const result = slidingWindowInference(model, image, shape, { windowSize: window, overlap: 0.3, outputShapeFor: (w) => w.map((s) => s - 4) });
    expect(result.windows).toBeGreaterThan(3);
    const padding = [[0, 0], ...shape.map(() => [2, 2] as [number, number]), [0, 0]] as Array<[number, number]>;
    const direct = tf.tidy(() => tf.softmax(model.predict(tf.pad(tf.tensor(image, [1, ...shape, 1]), padding)) as tf.Tensor).dataSync());
    expect(maxAbsDiff(result.output, direct)).toBeLessThan(1e-5);
  });

  it('an image smaller than the window is padded and cropped back', () => {
    const model = pointwiseModel(3, 2);
    const image = randomImage(4, 5 * 6 * 7 * 2);
    const result = slidingWindowInference(model, image, [5, 6, 7], { windowSize: [8, 8, 8] });
    expect(result.windows).toBe(1);
    expect(result.output.length).toBe(5 * 6 * 7 * 3);
    const direct = tf.tidy(() => tf.softmax(model.predict(tf.tensor(image, [1, 5, 6, 7, 2])) as tf.Tensor).dataSync());
    expect(maxAbsDiff(result.output, direct)).toBeLessThan(1e-6);
  });

  it('leaks no tensors', () => {
    const model = pointwiseModel(2, 1);
    const image = randomImage(5, 16 * 16);
    slidingWindowInference(model, image, [16, 16], { windowSize: [8, 8] });
    const before = tf.memory().numTensors;
    slidingWindowInference(model, image, [16, 16], { windowSize: [8, 8], overlap: 0.5 });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects bad arguments naming the function and the values', () => {
    const model = pointwiseModel(2, 1);
    const image = randomImage(6, 100);
    expect(() => slidingWindowInference(model, image, [10, 10], { windowSize: [8] })).toThrow(/slidingWindowInference: windowSize must be 2 positive integers for a 2D image, got \[8\]/);
    expect(() => slidingWindowInference(model, image, [10, 9], { windowSize: [8, 8] })).toThrow(/slidingWindowInference: image length 100 does not fit spatialShape \[10, 9\]/);
    expect(() => slidingWindowInference(model, image, [10, 10], { windowSize: [8, 8], overlap: 1 })).toThrow(/overlap must be in \[0, 1\), got 1/);
    expect(() => slidingWindowInference(model, image, [10, 10], { windowSize: [8, 8], outputShapeFor: () => [9, 8] })).toThrow(/outputShapeFor\(windowSize \[8, 8\]\) gave \[9, 8\]/);
    expect(() => slidingWindowInference(model, image, [10, 10], { windowSize: [8, 8], outputShapeFor: (w) => w.map((s) => s - 2) })).toThrow(/the network returned spatial shape \[8, 8\] for a window \[8, 8\], expected \[6, 6\]/);
  });
});

describe('probabilitiesToLabels', () => {
  it('argmax for several classes, threshold for one', () => {
    expect(Array.from(probabilitiesToLabels(Float32Array.from([0.1, 0.7, 0.2, 0.5, 0.2, 0.3]), 3))).toEqual([1, 0]);
    expect(Array.from(probabilitiesToLabels(Float32Array.from([0.2, 0.5, 0.9]), 1))).toEqual([0, 1, 1]);
  });
});

describe('inferenceWindow', () => {
  it('keeps the patch for same-size networks and grows it by the margin, to an accepted size, otherwise', () => {
    const unet = getNetworkGeometry('unet2d', {});
    expect(inferenceWindow([64, 64], (w) => unet.outputShapeFor(w))).toEqual([64, 64]);
    const twoPath = getNetworkGeometry('twoPathCnn', {});
    // Output = input - 12: a 33² patch becomes a 45² window whose output is the 33² patch size.
    expect(inferenceWindow([33, 33], (w) => twoPath.outputShapeFor(w))).toEqual([45, 45]);
    const deepMedic = getNetworkGeometry('deepMedic', {});
    const w = inferenceWindow([51, 51, 51], (s) => deepMedic.outputShapeFor(s));
    expect(w).toEqual([99, 99, 99]);
    expect(deepMedic.outputShapeFor(w)).toEqual([51, 51, 51]);
  });

  it("given the image shape, grows a shrinking network's window until one output covers the image", () => {
    const deepMedic = getNetworkGeometry('deepMedic', {});
    const shapeFor = (s: readonly number[]): number[] => deepMedic.outputShapeFor(s);
    // Output = input - 48, sizes multiples of 3: a 96³ image is covered by one 144³ window.
    expect(inferenceWindow([51, 51, 51], shapeFor, [96, 96, 96])).toEqual([144, 144, 144]);
    // Each axis to its own accepted size; never below the patch-sized output.
    const w = inferenceWindow([51, 51, 51], shapeFor, [97, 40, 60]);
    expect(w).toEqual([147, 99, 108]);
    expect(shapeFor(w).every((o, i) => o >= [97, 51, 60][i]!)).toBe(true);
    // Same-size networks keep the training patch whatever the image.
    const unet = getNetworkGeometry('unet3d', {});
    expect(inferenceWindow([32, 32, 32], (s) => unet.outputShapeFor(s), [200, 200, 200])).toEqual([32, 32, 32]);
  });

  it('shrinks the largest output axes until the window fits the voxel budget, keeping accepted sizes', () => {
    const deepMedic = getNetworkGeometry('deepMedic', {});
    const shapeFor = (s: readonly number[]): number[] => deepMedic.outputShapeFor(s);
    const budget = 120 ** 3;
    const w = inferenceWindow([51, 51, 51], shapeFor, [300, 96, 96], budget);
    expect(w.reduce((a, v) => a * v, 1)).toBeLessThanOrEqual(budget);
    expect(() => shapeFor(w)).not.toThrow();
    expect(w[0]).toBeGreaterThan(99); // the long axis still grew past the patch-sized window
    // A budget below the patch-sized window: the patch-sized window, not something smaller.
    expect(inferenceWindow([51, 51, 51], shapeFor, [300, 300, 300], 10)).toEqual([99, 99, 99]);
  });

  it('one grown window gives what tiled patch-sized windows give (valid convolutions, no padding inside)', () => {
    const model = validModel(3, 1);
    const shapeFor = (w: readonly number[]): number[] => w.map((s) => s - 4);
    const shape = [13, 11, 12];
    const image = randomImage(7, 13 * 11 * 12);
    const grown = inferenceWindow([6, 6, 6], shapeFor, shape);
    expect(grown).toEqual([17, 15, 16]);
    const one = slidingWindowInference(model, image, shape, { windowSize: grown, outputShapeFor: shapeFor });
    const tiled = slidingWindowInference(model, image, shape, { windowSize: inferenceWindow([6, 6, 6], shapeFor), outputShapeFor: shapeFor });
    expect(one.windows).toBe(1);
    expect(tiled.windows).toBeGreaterThan(1);
    expect(maxAbsDiff(one.output, tiled.output)).toBeLessThan(1e-5);
  });

  it('rejects an image shape of the wrong rank or a non-positive budget', () => {
    const twoPath = getNetworkGeometry('twoPathCnn', {});
    const shapeFor = (s: readonly number[]): number[] => twoPath.outputShapeFor(s);
    expect(() => inferenceWindow([33, 33], shapeFor, [64, 64, 64])).toThrow(/inferenceWindow: imageShape \[64, 64, 64\] must be 2 positive integers, as patchSize \[33, 33\]/);
    expect(() => inferenceWindow([33, 33], shapeFor, [64, 64], 0)).toThrow(/inferenceWindow: maxVoxels must be positive, got 0/);
  });
});
