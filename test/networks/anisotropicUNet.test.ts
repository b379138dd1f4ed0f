import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetEngine, type EngineName } from '../../src/engine/node/index.js';
import { checkNetworkOptions, checkPatchSize, unet2d, unet2dGeometry, unet3d, unet3dGeometry } from '../../src/networks/index.js';
import { createVolume } from '../../src/data/volume.js';
import { predictVolume } from '../../src/inference/predictVolume.js';
import { readModelCard } from '../../src/networks/node/modelCardFile.js';
import { loadModel } from '../../src/networks/node/modelFiles.js';
import { train } from '../../src/training/node/index.js';
import { addonLoads, maxRelError, onEngine, randn } from '../engine/_helpers.js';

// Per-axis strides and kernels (nnU-Net's pool_op_kernel_sizes / conv_kernel_sizes, as src/data/plan.ts records them).
const STRIDES = [
  [2, 2, 1],
  [2, 2, 1],
  [2, 2, 2],
];
const KERNELS = [
  [3, 3, 1],
  [3, 3, 1],
  [3, 3, 3],
  [3, 3, 3],
];
const aniso = { strides: STRIDES, convKernels: KERNELS };

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => resetEngine());

describe('unet3d geometry per axis', () => {
  it('divisibility, receptive field and output shape follow each axis', () => {
    const g = unet3dGeometry(aniso);
    // Axis 2: kernels 1, 1, 3, 3 and strides 1, 1, 2 → 1 + 2 + 2 + 1 (pool) + 2·2·2 (bottleneck at jump 2) + 2 + 2 = 18.
    expect(g.receptiveFieldPerAxis).toEqual([96, 96, 18]);
    expect(g.receptiveField).toBe(96);
    expect(g.outputShapeFor([32, 16, 6])).toEqual([32, 16, 6]);
    expect(checkPatchSize('unet3d', aniso, [8, 8, 2])).toEqual([8, 8, 2]);
    expect(() => g.outputShapeFor([32, 16, 5])).toThrow('unet3d: input size 5 along axis 2 is not divisible by 2^1 = 2, the product of its strides');
    expect(() => g.outputShapeFor([36, 16, 4])).toThrow('unet3d: input size 36 along axis 0 is not divisible by 2^3 = 8');
    expect(() => checkPatchSize('unet3d', aniso, [8, 4, 2])).toThrow('input size 4 along axis 1 is smaller than the minimum 8');
    expect(g.sizeRule).toContain('[8, 8, 2]');
    // 'nearest': the convolution after the up-sampling has the stride as kernel (1 along an unpooled axis: six 3-convolutions, 13).
    const iso = unet3dGeometry({ upsampling: 'nearest', depth: 1 }).receptiveField;
    expect(unet3dGeometry({ upsampling: 'nearest', strides: [[2, 1, 2]] }).receptiveFieldPerAxis).toEqual([iso, 13, iso]);
  });

  it('unet2d takes two-entry axes', () => {
    const g = unet2dGeometry({ strides: [[2, 1], [2, 2]], convKernels: [[3, 1], [3, 3], [3, 3]] });
    expect(g.outputShapeFor([16, 6])).toEqual([16, 6]);
    expect(() => g.outputShapeFor([16, 5])).toThrow('unet2d: input size 5 along axis 1 is not divisible by 2^1 = 2');
  });

  it('defaults are the isotropic topology, with the same messages and models as before', () => {
    expect(() => unet3dGeometry().outputShapeFor([16, 16, 12])).toThrow(/^unet3d: input size 12 is not divisible by 2\^3 = 8$/);
    expect(unet3dGeometry().receptiveFieldPerAxis).toEqual([96, 96, 96]);
    const explicit = { strides: [[2, 2, 2], [2, 2, 2]], convKernels: [[3, 3, 3], [3, 3, 3], [3, 3, 3]] };
    const a = unet3d({ depth: 2, baseFilters: 2, seed: 1 });
    const b = unet3d({ ...explicit, baseFilters: 2, seed: 1 });
    expect(JSON.stringify(b.toJSON(null, false))).toBe(JSON.stringify(a.toJSON(null, false)));
    a.dispose();
    b.dispose();
  });

  it.each([
    [{ strides: [[2, 2]] }, "unet3d: strides[0] must hold 3 numbers (one per spatial axis); got [2, 2]"],
    [{ strides: [[2, 2, 3]] }, 'unet3d: strides[0][2] must be 1 or 2; got 3'],
    [{ strides: [] }, 'unet3d: strides must be a non-empty list'],
    [{ strides: STRIDES, depth: 2 }, 'unet3d: depth must equal the number of strides entries (3), or be left out; got 2'],
    [{ strides: STRIDES, convKernels: KERNELS.slice(1) }, 'unet3d: convKernels must have depth + 1 = 4 entries (one per resolution level, the bottleneck last); got 3'],
    [{ convKernels: [[3, 3, 2], [3, 3, 3], [3, 3, 3], [3, 3, 3]] }, 'unet3d: convKernels[0][2] must be an odd integer >= 1; got 2'],
    [{ convKernels: [[3, 3], [3, 3, 3], [3, 3, 3], [3, 3, 3]] }, 'unet3d: convKernels[0] must hold 3 numbers'],
    [{ stride: STRIDES }, "unknown option 'stride' (did you mean 'strides'?)"],
  ])('refuses %j', (options, message) => {
    expect(() => checkNetworkOptions('unet3d', options)).toThrow(message);
    expect(() => unet3d(options as never)).toThrow(message);
  });
});

describe('anisotropic unet3d model', () => {
  const options = { strides: [[2, 2, 1], [2, 2, 2]], convKernels: [[3, 3, 1], [3, 3, 3], [3, 3, 3]], baseFilters: 2, seed: 5 };

  it('builds per-axis layers, keeps the input size, refuses a bad size at prediction, survives serialisation', async () => {
    for (const upsampling of ['transpose', 'nearest'] as const) {
      const model = unet3d({ ...options, upsampling });
      const kernelShape = (name: string) => model.getLayer(`unet3d_${name}`).getWeights()[0]!.shape;
      expect(kernelShape('enc0_conv1')).toEqual([3, 3, 1, 1, 2]);
      expect(kernelShape('dec0_conv2')).toEqual([3, 3, 1, 2, 2]);
      expect(kernelShape('enc1_conv1')).toEqual([3, 3, 3, 2, 4]);
      expect(kernelShape('dec0_up').slice(0, 3)).toEqual([2, 2, 1]);
      expect((model.getLayer('unet3d_enc0_pool').getConfig() as { pool_size?: number[]; poolSize?: number[] }).poolSize).toEqual([2, 2, 1]);
      const x = tf.tensor(randn([1, 8, 4, 2, 1], 3).values, [1, 8, 4, 2, 1]);
      const y = model.predict(x) as tf.Tensor;
      expect(y.shape).toEqual([1, 8, 4, 2, 2]);
      expect(() => model.predict(tf.zeros([1, 8, 4, 3, 1]))).toThrow('input size 3 along axis 2 is not divisible by 2^1 = 2');
      const again = await tf.models.modelFromJSON({ modelTopology: model.toJSON(null, false) as tf.io.ModelJSON['modelTopology'] });
      again.setWeights(model.getWeights());
      expect(Array.from((again.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from(y.dataSync()));
      expect(() => again.predict(tf.zeros([1, 8, 4, 3, 1]))).toThrow('along axis 2');
      model.dispose();
      again.dispose();
    }
  });

  it('maxFilters caps the filters of the deep levels (the plan\'s network.maxFilters)', () => {
    const model = unet3d({ strides: [[2, 2, 1], [2, 2, 2]], baseFilters: 2, maxFilters: 3 });
    expect(model.getLayer('unet3d_enc0_conv1').getWeights()[0]!.shape.at(-1)).toBe(2);
    expect(model.getLayer('unet3d_enc1_conv1').getWeights()[0]!.shape.at(-1)).toBe(3);
    expect(model.getLayer('unet3d_bottleneck_conv2').getWeights()[0]!.shape.at(-1)).toBe(3);
    expect(() => unet3d({ maxFilters: 0 })).toThrow('unet3d: maxFilters must be an integer >= 1; got 0');
    model.dispose();
  });

  it('unet2d with per-axis strides builds and keeps the size', () => {
    const model = unet2d({ strides: [[2, 1]], convKernels: [[3, 1], [3, 3]], baseFilters: 2, seed: 1 });
    expect((model.predict(tf.zeros([1, 4, 3, 1])) as tf.Tensor).shape).toEqual([1, 4, 3, 2]);
    expect(model.getLayer('unet2d_enc0_conv1').getWeights()[0]!.shape).toEqual([3, 1, 1, 2]);
    model.dispose();
  });

  // The whole network's forward pass and weight gradients on each engine against stock cpu.
  const engines: EngineName[] = ['native', 'wasm'];
  it.each(engines)('forward and gradients on %s match stock cpu', async (engine) => {
    if (engine === 'native' && !addonLoads) return;
    const x = randn([2, 8, 4, 4, 1], 11);
    const target = randn([2, 8, 4, 4, 2], 12);
    const run = (): tf.Tensor[] => {
      const model = unet3d({ ...options, normalization: 'instance', outputActivation: 'none' });
      const xt = tf.tensor(x.values, x.shape);
      const tt = tf.tensor(target.values, target.shape);
      const f = () => tf.mean(tf.square(tf.sub(model.apply(xt, { training: true }) as tf.Tensor, tt))) as tf.Scalar;
      const { value, grads } = tf.variableGrads(f, model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val));
      const out = [model.predict(xt) as tf.Tensor, value, ...Object.values(grads)];
      model.dispose();
      return out;
    };
    const ref = await onEngine('cpu', run);
    const got = await onEngine(engine, run);
    expect(got.length).toBe(ref.length);
    expect(maxRelError(got, ref)).toBeLessThan(1e-4);
  });
});

describe('training smoke test', () => {
  const root = mkdtempSync(join(tmpdir(), 'gendice-aniso-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('trains an anisotropic unet3d from a config, and the model card keeps the options', async () => {
    const result = await train(
      {
        seed: 2,
        network: { name: 'unet3d', options: { strides: [[2, 2, 1]], convKernels: [[3, 3, 1], [3, 3, 3]], baseFilters: 2 } },
        loss: { name: 'gdl' },
        optimizer: { learningRate: 1e-2 },
        iterations: 3,
        batchSize: 1,
        patchSize: [8, 8, 2],
        data: { synthetic: { dims: 3, cases: 2, size: 10, foregroundFraction: 0.05, lesionShape: 'blobs' } },
        checkpoint: { every: 3, keep: 1 },
        scoreWindow: 2,
      },
      { outDir: join(root, 'run') },
    );
    expect(Number.isFinite(result.lastLoss)).toBe(true);
    const card = JSON.parse(readFileSync(join(result.modelDir, 'gendice.json'), 'utf8')) as { network: { options: { strides: number[][] } } };
    expect(card.network.options.strides).toEqual([[2, 2, 1]]);
    // The saved model predicts a volume whose extents are not multiples of the strides (sliding windows of the patch).
    const model = await loadModel(result.modelDir);
    const image = createVolume(Float32Array.from({ length: 11 * 9 * 3 }, (_, i) => Math.sin(i)), [11, 9, 3]);
    const prediction = predictVolume(model, readModelCard(result.modelDir), image);
    expect(prediction.labels.shape).toEqual([11, 9, 3]);
    model.dispose();
    await expect(
      train(
        {
          seed: 2,
          network: { name: 'unet3d', options: { strides: [[2, 2, 1]] } },
          loss: { name: 'gdl' },
          optimizer: { learningRate: 1e-2 },
          iterations: 1,
          batchSize: 1,
          patchSize: [8, 7, 3],
          data: { synthetic: { dims: 3, cases: 2, size: 10, foregroundFraction: 0.05 } },
        },
        { outDir: join(root, 'bad') },
      ),
    ).rejects.toThrow(/input size 7 along axis 1 is not divisible by 2\^1 = 2/);
  });
});
