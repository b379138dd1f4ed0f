import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { Random } from '../../src/common/random.js';
import { channelsLastToVolume, createVolume, volumeToChannelsLast } from '../../src/data/volume.js';
import { flipSpatialAxes, mirrorAxes, mirroredPredictor, predictEnsemble, predictVolume, slidingWindowInference } from '../../src/inference/index.js';
import type { ModelCard } from '../../src/networks/modelCard.js';
import { getNetwork } from '../../src/networks/registry.js';
import { untrainedCard } from './untrainedModel.js';

function randomData(seed: number, n: number): Float32Array {
  const r = new Random(seed);
  return Float32Array.from({ length: n }, () => r.normal());
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return a.length === b.length ? m : Infinity;
}

/** A 3×3 convolution with mirror-symmetric kernels (each kernel equals its flips): flip-equivariant. */
function symmetricModel(): tf.LayersModel {
  const k = [1, 2, 1, 2, 4, 2, 1, 2, 1];
  const kernel = tf.tensor4d(k.flatMap((v) => [v * 0.1, -v * 0.05]), [3, 3, 1, 2]);
  const input = tf.input({ shape: [null, null, 1] as unknown as number[] });
  const conv = tf.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same', useBias: false, weights: [kernel] });
  return tf.model({ inputs: input, outputs: conv.apply(input) as tf.SymbolicTensor });
}

/** Output at i along the first spatial axis = input at i + 1 (0 past the end), per channel: not mirror-symmetric. */
const shiftUp = (x: tf.Tensor): tf.Tensor => {
  const n = x.shape[1]!;
  return tf.pad(tf.slice(x, [0, 1, 0, 0], [-1, n - 1, -1, -1]), [[0, 0], [0, 1], [0, 0], [0, 0]]);
};

describe('test-time mirroring', () => {
  it('flips every subset of the spatial axes: 2^d combinations, identity first', () => {
    expect(mirrorAxes(2)).toEqual([[], [1], [2], [1, 2]]);
    expect(mirrorAxes(3)).toHaveLength(8);
    expect(new Set(mirrorAxes(3).map((a) => a.join(','))).size).toBe(8);
  });

  it('flips batches as tf.reverse does, in 2D and 3D', () => {
    for (const shape of [[2, 3, 4, 2], [2, 3, 4, 5, 3]]) {
      const x = tf.tensor(randomData(9, shape.reduce((a, v) => a * v, 1)), shape);
      for (const axes of mirrorAxes(shape.length - 2).slice(1)) {
        const expected = tf.reverse(x, axes);
        expect(Array.from(flipSpatialAxes(x.dataSync() as Float32Array, shape, axes)), `${shape.length - 2}D axes ${axes.join(',')}`).toEqual(Array.from(expected.dataSync()));
        expected.dispose();
      }
      x.dispose();
    }
  });

  it('of a mirror-symmetric model equals no mirroring', () => {
    const model = symmetricModel();
    const image = randomData(1, 20 * 20);
    const plain = slidingWindowInference(model, image, [20, 20], { windowSize: [12, 12] });
    const mirrored = slidingWindowInference(mirroredPredictor(model, 2), image, [20, 20], { windowSize: [12, 12], activation: 'none' });
    expect(maxAbsDiff(mirrored.output, plain.output)).toBeLessThan(1e-6);
    model.dispose();
  });

  it('averages the flipped predictions: a shift becomes the mean of both shifts (hand-computed)', () => {
    // Rows (first spatial axis) [1, 2], [3, 4], [10, 20], [30, 40].
    const x = tf.tensor4d([1, 2, 3, 4, 10, 20, 30, 40], [1, 4, 2, 1]);
    const y = mirroredPredictor(shiftUp, 2, 'none')(x);
    // Column 0 is 1, 3, 10, 30: the up-shift gives 3, 10, 30, 0, the mirrored one (flips of axis 1) the
    // down-shift 0, 1, 3, 10; flips of axis 2 commute with the shift. Mean: 1.5, 5.5, 16.5, 5.
    // Column 1 (2, 4, 20, 40): (4 + 0) / 2, (20 + 2) / 2, (40 + 4) / 2, (0 + 20) / 2.
    expect(Array.from(y.dataSync())).toEqual([1.5, 2, 5.5, 11, 16.5, 22, 5, 10]);
    tf.dispose([x, y]);
  });

  it("leaks no tensors and leaves a predictor's own output alone (activation 'none')", () => {
    const x = tf.tensor4d([1, 2, 3, 4, 10, 20, 30, 40], [1, 4, 2, 1]);
    const kept = tf.tensor4d([5, 6, 7, 8, 9, 10, 11, 12], [1, 4, 2, 1]);
    const before = tf.memory().numTensors;
    const y = mirroredPredictor(() => kept, 2, 'none')(x);
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(kept.isDisposed).toBe(false);
    // The same output for every flip, each flipped back: every voxel gets the mean of its four mirror images (8.5).
    expect(Array.from(y.dataSync())).toEqual(new Array(8).fill(8.5));
    const z = mirroredPredictor((t) => t, 2, 'none')(x);
    expect(x.isDisposed).toBe(false);
    expect(Array.from(z.dataSync())).toEqual([1, 2, 3, 4, 10, 20, 30, 40]);
    tf.dispose([x, kept, y, z]);
  });

  it('averages probabilities, not logits', () => {
    const x = tf.tensor4d([0, 0, 4, 0, 0, -4], [1, 3, 1, 2]);
    const y = mirroredPredictor(shiftUp, 2)(x).dataSync();
    const softmax = (a: number, b: number): number[] => [Math.exp(a) / (Math.exp(a) + Math.exp(b)), Math.exp(b) / (Math.exp(a) + Math.exp(b))];
    // Row 1: the up-shift brings (0, -4), the down-shift (0, 0).
    const expected = softmax(0, -4).map((p, c) => (p + softmax(0, 0)[c]!) / 2);
    expect(maxAbsDiff(y.slice(2, 4), expected)).toBeLessThan(1e-6);
    tf.dispose(x);
  });

  it('predictVolume with mirror: true is the mirrored sliding window of the model', () => {
    const card = untrainedCard(3, 2, 'none');
    const model = getNetwork('unet2d', card.network.options);
    const data = randomData(2, 16 * 16);
    const volume = createVolume(data, [16, 16]);
    const plain = predictVolume(model, card, volume);
    const mirrored = predictVolume(model, card, volume, { mirror: true });
    // An untrained U-Net is not mirror-symmetric: mirroring changes the result...
    expect(maxAbsDiff(mirrored.probabilities.data as Float32Array, plain.probabilities.data as Float32Array)).toBeGreaterThan(1e-4);
    // ...to the mean over the four flips of the (single) window.
    const mean = new Float64Array(16 * 16 * 2);
    for (const axes of mirrorAxes(2)) {
      const p = tf.tidy(() => {
        const x = tf.tensor4d(volumeToChannelsLast(volume), [1, 16, 16, 1]);
        const y = tf.softmax(model.predict(axes.length ? tf.reverse(x, axes) : x) as tf.Tensor);
        return (axes.length ? tf.reverse(y, axes) : y).dataSync();
      });
      p.forEach((v, i) => (mean[i] = mean[i]! + v / 4));
    }
    // The volume stores channel planes, the network sees channels-last voxels: convert both ways.
    const expected = channelsLastToVolume(Float32Array.from(mean), volume).data as Float32Array;
    expect(maxAbsDiff(mirrored.probabilities.data as Float32Array, expected)).toBeLessThan(1e-5);
    model.dispose();
  });
});

describe('ensembles', () => {
  const card = (seed: number, classes = 2): ModelCard => untrainedCard(seed, classes);

  it('average the probabilities of their models, labels from the mean', () => {
    const [a, b] = [card(1), card(2)];
    const [ma, mb] = [getNetwork('unet2d', a.network.options), getNetwork('unet2d', b.network.options)];
    const volume = createVolume(randomData(3, 24 * 20), [24, 20]);
    const pa = predictVolume(ma, a, volume).probabilities.data as Float32Array;
    const pb = predictVolume(mb, b, volume).probabilities.data as Float32Array;
    const both = predictEnsemble([{ model: ma, card: a }, { model: mb, card: b }], volume);
    const mean = Float32Array.from(pa, (v, i) => (v + pb[i]!) / 2);
    expect(maxAbsDiff(both.probabilities.data as Float32Array, mean)).toBeLessThan(1e-7);
    expect(maxAbsDiff(pa, pb)).toBeGreaterThan(1e-3);
    const voxels = 24 * 20;
    // Volumes hold channel planes: class 0 in the first `voxels` values, class 1 in the next.
    const labels = Array.from({ length: voxels }, (_, v) => (mean[voxels + v]! > mean[v]! ? 1 : 0));
    expect(Array.from(both.labels.data)).toEqual(labels);
    ma.dispose();
    mb.dispose();
  });

  it('refuse models that disagree on classes or channels, naming both', () => {
    const [a, b] = [card(1), card(2, 3)];
    const [ma, mb] = [getNetwork('unet2d', a.network.options), getNetwork('unet2d', b.network.options)];
    const volume = createVolume(randomData(4, 16 * 16), [16, 16]);
    expect(() => predictEnsemble([{ model: ma, card: a, name: 'fold0/model' }, { model: mb, card: b, name: 'fold1/model' }], volume)).toThrow(
      'predictEnsemble: model 2 (fold1/model) has 3 classes and 1 input channel(s), model 1 (fold0/model) has 2 and 1; ensembled models must agree on classes and input channels',
    );
    expect(() => predictEnsemble([], volume)).toThrow('predictEnsemble: needs at least one model, got none');
    ma.dispose();
    mb.dispose();
  });
});
