import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installMissingGradients } from '../../src/engine/gradients/index.js';
import {
  BatchNormalizationND,
  ChannelPadding,
  CroppingND,
  InstanceNormalization,
  Maxout,
  UpSampling3D,
} from '../../src/networks/index.js';
import { loadModel, saveModel } from '../../src/networks/node/modelFiles.js';

const dir = mkdtempSync(join(tmpdir(), 'gendice-layers-'));
beforeAll(async () => {
  await tf.setBackend('cpu');
  // plain tf.layers.conv3d with dilation below trains only with gendice's gradients
  installMissingGradients();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const values = (t: tf.Tensor): number[] => Array.from(t.dataSync());

describe('UpSampling3D', () => {
  it('repeats each voxel size[0]×size[1]×size[2] times (nearest neighbour)', () => {
    const x = tf.tensor5d([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 2, 2, 1]);
    const y = new UpSampling3D({ size: [1, 2, 3] }).apply(x) as tf.Tensor;
    expect(y.shape).toEqual([1, 2, 4, 6, 1]);
    const v = y.arraySync() as number[][][][][];
    expect(v[0]![0]![0]!.map((r) => r[0])).toEqual([1, 1, 1, 2, 2, 2]);
    expect(v[0]![0]![3]!.map((r) => r[0])).toEqual([3, 3, 3, 4, 4, 4]);
    expect(v[0]![1]![2]!.map((r) => r[0])).toEqual([7, 7, 7, 8, 8, 8]);
  });

  it('has the block-sum gradient', () => {
    const x = tf.zeros([1, 1, 1, 2, 2]);
    const r = tf.tensor5d([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 1, 2, 2]);
    const layer = new UpSampling3D({ size: [2, 1, 1] });
    const [g] = tf.grads((a: tf.Tensor) => tf.sum(tf.mul(layer.apply(a) as tf.Tensor, r)))([x]);
    expect(values(g!)).toEqual([1 + 5, 2 + 6, 3 + 7, 4 + 8]);
  });

  it('rejects a bad size', () => {
    expect(() => new UpSampling3D({ size: [2, 0, 2] })).toThrow('UpSampling3D: size must be a positive integer, got 0');
  });
});

describe('BatchNormalizationND', () => {
  it('normalises rank-5 input per channel in training and updates the moving statistics', () => {
    const x = tf.add(tf.mul(tf.randomNormal([2, 3, 4, 5, 2], 0, 1, 'float32', 1), tf.tensor1d([2, 0.5])), tf.tensor1d([3, -1]));
    const layer = new BatchNormalizationND({ momentum: 0.9 });
    const y = layer.apply(x, { training: true }) as tf.Tensor;
    const { mean, variance } = tf.moments(y, [0, 1, 2, 3]);
    values(mean).forEach((m) => expect(Math.abs(m)).toBeLessThan(1e-5));
    values(variance).forEach((v) => expect(v).toBeCloseTo(1, 2));
    const batch = tf.moments(x, [0, 1, 2, 3]);
    const movingMean = layer.getWeights()[2]!;
    values(movingMean).forEach((m, i) => expect(m).toBeCloseTo(0.1 * batch.mean.dataSync()[i]!, 5));
  });

  it('matches tf.layers.batchNormalization on the same data viewed as rank 4 (training and inference)', () => {
    const x5 = tf.randomNormal([2, 2, 3, 4, 3], 0, 1, 'float32', 2);
    const x4 = tf.reshape(x5, [2, 6, 4, 3]);
    const ours = new BatchNormalizationND();
    const ref = tf.layers.batchNormalization();
    ours.apply(x5);
    ref.apply(x4);
    const w = [tf.tensor1d([1.5, 0.5, 2]), tf.tensor1d([0.1, 0, -0.2]), tf.tensor1d([0.3, 0.1, 0]), tf.tensor1d([2, 1, 0.5])];
    ours.setWeights(w);
    ref.setWeights(w);
    for (const training of [true, false]) {
      const a = ours.apply(x5, { training }) as tf.Tensor;
      const b = tf.reshape(ref.apply(x4, { training }) as tf.Tensor, x5.shape);
      expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBeLessThan(1e-5);
    }
  });
});

describe('InstanceNormalization', () => {
  it('gives each sample and channel zero mean and unit variance over space', () => {
    const x = tf.mul(tf.randomNormal([2, 4, 4, 3, 2], 5, 3, 'float32', 3), tf.tensor1d([1, 10]));
    const y = new InstanceNormalization().apply(x) as tf.Tensor;
    const { mean, variance } = tf.moments(y, [1, 2, 3]);
    values(mean).forEach((m) => expect(Math.abs(m)).toBeLessThan(1e-4));
    values(variance).forEach((v) => expect(v).toBeCloseTo(1, 3));
  });
});

describe('Maxout, CroppingND, ChannelPadding', () => {
  it('Maxout takes the maximum over the k contiguous channel blocks', () => {
    const x = tf.tensor4d([1, 5, 3, 2, -1, -4, 0, 7], [1, 1, 2, 4]);
    const y = new Maxout({ pieces: 2 }).apply(x) as tf.Tensor;
    expect(y.shape).toEqual([1, 1, 2, 2]);
    expect(values(y)).toEqual([3, 5, 0, 7]);
    expect(() => new Maxout({ pieces: 3 }).apply(x)).toThrow('Maxout: the channel count 4 is not a multiple of pieces = 3');
  });

  it('CroppingND removes the border', () => {
    const x = tf.reshape(tf.range(0, 27), [1, 3, 3, 3, 1]);
    const y = new CroppingND({ cropping: [[1, 1], [1, 1], [0, 2]] }).apply(x) as tf.Tensor;
    expect(y.shape).toEqual([1, 1, 1, 1, 1]);
    expect(values(y)).toEqual([12]);
  });

  it('ChannelPadding appends zero channels', () => {
    const x = tf.tensor4d([1, 2], [1, 1, 1, 2]);
    expect(values(new ChannelPadding({ channels: 4 }).apply(x) as tf.Tensor)).toEqual([1, 2, 0, 0]);
  });
});

describe('custom layers save and load', () => {
  it('a model with every custom layer predicts identically after a round trip', async () => {
    const input = tf.input({ shape: [6, 6, 6, 2] });
    let x = new CroppingND({ cropping: [[1, 1], [1, 1], [1, 1]] }).apply(input) as tf.SymbolicTensor;
    x = tf.layers.conv3d({ filters: 4, kernelSize: 3, padding: 'same', dilationRate: 2 }).apply(x) as tf.SymbolicTensor;
    x = new BatchNormalizationND().apply(x) as tf.SymbolicTensor;
    x = new InstanceNormalization().apply(x) as tf.SymbolicTensor;
    x = new Maxout({ pieces: 2 }).apply(x) as tf.SymbolicTensor;
    x = new ChannelPadding({ channels: 3 }).apply(x) as tf.SymbolicTensor;
    x = new UpSampling3D({ size: 2 }).apply(x) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: x });
    // Non-trivial batch-norm statistics, so that inference differs from training.
    const xs = tf.randomNormal([2, 6, 6, 6, 2], 0, 1, 'float32', 4);
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    await model.fit(xs, tf.zerosLike(model.predict(xs) as tf.Tensor), { epochs: 1, verbose: 0 });
    await saveModel(model, join(dir, 'all-layers'));
    const loaded = await loadModel(join(dir, 'all-layers'));
    expect(loaded.layers.map((l) => l.getClassName())).toEqual(model.layers.map((l) => l.getClassName()));
    expect(values(loaded.predict(xs) as tf.Tensor)).toEqual(values(model.predict(xs) as tf.Tensor));
    expect((loaded.layers[7] as UpSampling3D).size).toEqual([2, 2, 2]);
  });
});

describe('Maxout gradient', () => {
  it('equals the gradient of tf.maximum (ties to the first block)', () => {
    const x = tf.tensor4d([1, 5, 3, 5, -1, -4, 0, 7], [1, 1, 2, 4]);
    const r = tf.tensor4d([1, 2, 3, 4], [1, 1, 2, 2]);
    const layer = new Maxout({ pieces: 2 });
    const [ours] = tf.grads((a: tf.Tensor) => tf.sum(tf.mul(layer.apply(a) as tf.Tensor, r)))([x]);
    const [ref] = tf.grads((a: tf.Tensor) => {
      const [p, q] = tf.split(a, 2, -1);
      return tf.sum(tf.mul(tf.maximum(p!, q!), r));
    })([x]);
    expect(values(ours!)).toEqual(values(ref!));
    expect(values(ours!)).toEqual([0, 2, 1, 0, 0, 0, 3, 4]);
  });
});
