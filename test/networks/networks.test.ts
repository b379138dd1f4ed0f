import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generalizedDiceLoss } from '../../src/losses/index.js';
import {
  deepMedic,
  deepMedicGeometry,
  getNetwork,
  getNetworkGeometry,
  highResNet,
  type NetworkName,
  networkInfo,
  NETWORK_NAMES,
  twoPathCnn,
  twoPathCnnGeometry,
  unet2d,
  unet2dGeometry,
  unet3d,
} from '../../src/networks/index.js';
import { loadModel, saveModel } from '../../src/networks/node/modelFiles.js';

const dir = mkdtempSync(join(tmpdir(), 'gendice-networks-'));
beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Tiny configurations (stock cpu convolutions are slow) and input sizes each network accepts. */
const TINY: { name: NetworkName; options: object; sizes: number[][]; channels: number }[] = [
  { name: 'unet2d', options: { depth: 2, baseFilters: 4, inputChannels: 2, seed: 1 }, sizes: [[8, 12], [16, 4]], channels: 2 },
  { name: 'twoPathCnn', options: { localFilters: 4, globalFilters: 6, seed: 1 }, sizes: [[13, 13], [17, 20]], channels: 1 },
  {
    name: 'deepMedic',
    options: { pathwayFilters: [4, 4], fullyConnected: [8], normalization: 'instance', seed: 1 },
    sizes: [[15, 15, 15], [18, 15, 21]],
    channels: 1,
  },
  {
    name: 'highResNet',
    options: { filters: [4, 4, 8], dilations: [1, 2], blocksPerStage: 1, featureWidth: 8, seed: 1 },
    sizes: [[6, 6, 6], [7, 5, 9]],
    channels: 1,
  },
  { name: 'unet3d', options: { depth: 2, baseFilters: 2, inputChannels: 3, seed: 1 }, sizes: [[8, 8, 8], [4, 12, 8]], channels: 3 },
];

describe.each(TINY)('$name (tiny)', ({ name, options, sizes, channels }) => {
  it('produces the output shape its geometry states, for several input sizes', () => {
    const model = getNetwork(name, options);
    const geometry = getNetworkGeometry(name, options);
    expect(geometry.dims).toBe(networkInfo(name).dims);
    for (const size of sizes) {
      const out = tf.tidy(() => (model.predict(tf.ones([2, ...size, channels])) as tf.Tensor).shape);
      expect(out).toEqual([2, ...geometry.outputShapeFor(size), 2]);
    }
    model.dispose();
  });

  it('one Adam step with the Generalised Dice loss lowers the loss, without leaking tensors', () => {
    const model = getNetwork(name, options);
    const size = sizes[0]!;
    const x = tf.randomNormal([2, ...size, channels], 0, 1, 'float32', 7);
    const outShape = getNetworkGeometry(name, options).outputShapeFor(size);
    const labels = tf.tidy(() => tf.cast(tf.greater(tf.randomUniform([2, ...outShape], 0, 1, 'float32', 8), 0.8), 'int32'));
    const y = tf.oneHot(labels, 2);
    const loss = generalizedDiceLoss({ activation: 'none' });
    const optimizer = tf.train.adam(0.01);
    const value = (): number => tf.tidy(() => loss(y, model.apply(x, { training: false }) as tf.Tensor).dataSync()[0]!);
    const step = (): void => {
      tf.dispose(optimizer.minimize(() => loss(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar) ?? undefined);
    };
    const before = value();
    step();
    const after = value();
    expect(Number.isFinite(after)).toBe(true);
    expect(after).toBeLessThan(before);
    const tensors = tf.memory().numTensors;
    step();
    expect(tf.memory().numTensors).toBe(tensors);
    model.dispose();
    optimizer.dispose();
  });

  it('saves and loads: identical predictions and layer classes', async () => {
    const model = getNetwork(name, options);
    const x = tf.randomNormal([1, ...sizes[1]!, channels], 0, 1, 'float32', 9);
    const path = join(dir, name);
    await saveModel(model, path);
    const loaded = await loadModel(path);
    expect(loaded.layers.map((l) => l.getClassName())).toEqual(model.layers.map((l) => l.getClassName()));
    expect(Array.from((loaded.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from((model.predict(x) as tf.Tensor).dataSync()));
    model.dispose();
    loaded.dispose();
  });
});

describe('default configurations', () => {
  it.each([
    ['unet2d', 1_940_834, 200],
    ['twoPathCnn', 135_106, 13],
    ['deepMedic', 658_782, 51],
    ['highResNet', 810_386, 87],
    ['unet3d', 1_402_578, 96],
  ] as const)('%s has %i parameters and receptive field %i', (name, params, receptiveField) => {
    const model = getNetwork(name);
    expect(model.countParams()).toBe(params);
    expect(getNetworkGeometry(name).receptiveField).toBe(receptiveField);
    model.dispose();
  });

  it('lists the five networks with their dimensionality', () => {
    expect(NETWORK_NAMES).toEqual(['unet2d', 'twoPathCnn', 'deepMedic', 'highResNet', 'unet3d']);
    expect(NETWORK_NAMES.map((n) => networkInfo(n).dims)).toEqual([2, 2, 3, 3, 3]);
  });
});

describe('geometry of the networks whose output is smaller than the input', () => {
  it('twoPathCnn: a patch of the receptive-field size yields the centre prediction', () => {
    expect(twoPathCnnGeometry().outputShapeFor([13, 13])).toEqual([1, 1]);
    expect(twoPathCnnGeometry({ classifierKernel: 21 }).receptiveField).toBe(33);
    expect(twoPathCnnGeometry({ classifierKernel: 21 }).outputShapeFor([33, 40])).toEqual([1, 8]);
    expect(twoPathCnnGeometry({ localKernels: [7, 5] }).receptiveField).toBe(15);
  });

  it('deepMedic: output = input − 48 by default, 25³ normal / 57³ context in the paper', () => {
    expect(deepMedicGeometry().outputShapeFor([57, 57, 57])).toEqual([9, 9, 9]);
    expect(deepMedicGeometry({ subsampleFactor: 5, pathwayFilters: [4, 4] }).outputShapeFor([25, 30, 35])).toEqual([5, 10, 15]);
  });

  it('the U-Nets keep the input size', () => {
    expect(unet2dGeometry().outputShapeFor([128, 64])).toEqual([128, 64]);
  });
});

describe('invalid options and sizes are refused with clear errors', () => {
  it.each([
    [() => getNetwork('unet'), "getNetwork: name must be one of 'unet2d', 'twoPathCnn', 'deepMedic', 'highResNet', 'unet3d'; got 'unet' (did you mean 'unet2d'?)"],
    [() => getNetwork('HighResNet'), "did you mean 'highResNet'?"],
    [() => unet2d({ inputShape: [100, 96] }), 'unet2d: input size 100 is not divisible by 2^4 = 16'],
    [() => unet3d({ depth: 2, inputShape: [8, 8] }), 'unet3d: inputShape must be a list of 3 integers >= 1; got [8, 8]'],
    [() => deepMedic({ inputShape: [57, 57, 52] }), 'deepMedic: input size 52 is not divisible by the subsample factor 3'],
    [() => deepMedic({ inputShape: [48, 57, 57] }), 'deepMedic: input size 48 is smaller than the minimum 51'],
    [() => twoPathCnn({ inputShape: [12, 40] }), 'twoPathCnn: input size 12 is smaller than the minimum 13'],
    [() => unet2d({ normalisation: 'batch' } as never), "unet2d: unknown option 'normalisation' (did you mean 'normalization'?); known options: "],
    [() => unet2d({ normalization: 'Batch' as 'batch' }), "unet2d: normalization must be one of 'none', 'batch', 'instance'; got 'Batch' (did you mean 'batch'?)"],
    [() => unet2d({ outputActivation: 'sigmod' as 'sigmoid' }), "unet2d: outputActivation must be one of 'softmax', 'sigmoid', 'none'; got 'sigmod' (did you mean 'sigmoid'?)"],
    [() => unet2d({ dropout: 1 }), 'unet2d: dropout must be a finite number in [0, 1); got 1'],
    [() => unet2d({ classes: 1 }), "unet2d: outputActivation 'softmax' needs classes >= 2, got classes = 1; use 'sigmoid'"],
    [() => unet2d({ depth: 0 }), 'unet2d: depth must be an integer >= 1; got 0'],
    [() => unet2d({ upsampling: 'nearst' as 'nearest' }), "unet2d: upsampling must be one of 'transpose', 'nearest'; got 'nearst' (did you mean 'nearest'?)"],
    [() => getNetwork('unet2d', { baseFilter: 8 }), "unet2d: unknown option 'baseFilter' (did you mean 'baseFilters'?); known options: inputChannels, classes, normalization, dropout, outputActivation, inputShape, seed, depth, baseFilters, upsampling"],
    [() => highResNet({ dilations: [1, 2] }), 'highResNet: dilations needs one entry per stage (filters.length - 1 = 3), got 2'],
    [() => highResNet({ filters: [16, 8, 32, 64] }), 'highResNet: filters must not decrease'],
    [() => twoPathCnn({ inputChannels: 1.5 }), 'twoPathCnn: inputChannels must be an integer >= 1; got 1.5'],
  ])('case %# throws as expected', (make, message) => {
    expect(make).toThrow(message);
  });

  it('a built model refuses an unsupported size at prediction time, naming the network', () => {
    const model = unet2d({ depth: 2, baseFilters: 2 });
    expect(() => model.predict(tf.zeros([1, 8, 10, 1]))).toThrow('unet2d: input size 10 is not divisible by 2^2 = 4');
    model.dispose();
  });

  it('sigmoid output with one class is accepted', () => {
    const model = unet2d({ depth: 1, baseFilters: 2, classes: 1, outputActivation: 'sigmoid' });
    const y = model.predict(tf.zeros([1, 4, 4, 1])) as tf.Tensor;
    expect(y.shape).toEqual([1, 4, 4, 1]);
    expect(y.dataSync()[0]).toBeCloseTo(0.5, 6);
    model.dispose();
  });
});
