import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { installMissingGradients } from '../../src/engine/gradients/index.js';
import { resetEngine, type EngineName } from '../../src/engine/node/index.js';
import { addonLoads, maxRelError, onEngine } from './_helpers.js';

/**
 * Random convolution geometries (2D and 3D; strides, dilations, 'same' and 'valid', odd and even sizes,
 * filters smaller than the strides) on the native and wasm engines against stock cpu: the forward pass and,
 * undilated, both gradients. It found TF.js's wasm Conv2D wrong with 'same' padding where a stride exceeds
 * the filter. GENDICE_FUZZ_ITERATIONS raises the number of geometries (default 40).
 */
installMissingGradients(); // as train() does: the Conv3D layer fuses bias and ReLU on native
afterAll(() => resetEngine());

const COUNT = Number(process.env.GENDICE_FUZZ_ITERATIONS ?? 40);

interface Geometry { is3d: boolean; x: number[]; filter: number[]; strides: number[]; dilations: number[]; pad: 'same' | 'valid' }

function geometries(count: number, seed: number): Geometry[] {
  let s = seed;
  const rnd = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const int = (a: number, b: number) => a + Math.floor(rnd() * (b - a + 1));
  return Array.from({ length: count }, () => {
    const is3d = rnd() < 0.6;
    const f = Array.from({ length: is3d ? 3 : 2 }, () => int(1, 3));
    const dilated = rnd() < 0.3;
    const dilations = f.map(() => (dilated ? int(1, 2) : 1));
    const strides = f.map(() => (!dilated && rnd() < 0.4 ? int(1, 3) : 1));
    const size = f.map((k, j) => int((k - 1) * dilations[j]! + 1, (k - 1) * dilations[j]! + 6));
    const inChannels = int(1, 4);
    return { is3d, x: [int(1, 3), ...size, inChannels], filter: [...f, inChannels, int(1, 4)], strides, dilations, pad: rnd() < 0.5 ? 'same' : 'valid' };
  });
}

function run(g: Geometry, i: number): () => tf.Tensor[] {
  return () => {
    const x = tf.randomUniform(g.x, -1, 1, 'float32', 3 * i + 1);
    const w = tf.randomUniform(g.filter, -1, 1, 'float32', 3 * i + 2);
    const conv = (a: tf.Tensor, b: tf.Tensor) =>
      g.is3d
        ? tf.conv3d(a as tf.Tensor5D, b as tf.Tensor5D, g.strides as [number, number, number], g.pad, 'NDHWC', g.dilations as [number, number, number])
        : tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, g.strides as [number, number], g.pad, 'NHWC', g.dilations as [number, number]);
    const y = conv(x, w);
    if (g.dilations.some((d) => d > 1)) return [y]; // stock cpu's gradients ignore dilations
    const dy = tf.randomUniform(y.shape, -1, 1, 'float32', 3 * i + 3);
    return [y, ...tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv(a, b), dy)))([x, w])];
  };
}

const cases = geometries(COUNT, 20261203);
const engines: EngineName[] = ['native', 'wasm'];

describe.each(engines)('random convolution geometries on %s match stock cpu', (engine) => {
  it.skipIf(engine === 'native' && !addonLoads)(`${COUNT} geometries, forward and gradients`, async () => {
    const failures: string[] = [];
    for (const [i, g] of cases.entries()) {
      const ref = await onEngine('cpu', run(g, i));
      try {
        const error = maxRelError(await onEngine(engine, run(g, i)), ref);
        if (!(error < 1e-5)) failures.push(`${JSON.stringify(g)}: relative error ${error}`);
      } catch (e) {
        failures.push(`${JSON.stringify(g)}: ${(e as Error).message}`);
      }
    }
    expect(failures).toEqual([]);
  });
});

// The geometry the fuzz found on native: TF.js's 3D 'same' padding is negative there (top −1), which oneDNN
// cannot take; the kernels and a Conv3D layer (which would otherwise fuse bias and ReLU) stay with TF.js's.
describe.skipIf(!addonLoads)('3D convolution whose TF.js padding is negative, on native', () => {
  it('matches stock cpu through tf.conv3d and through a Conv3D layer, forward and gradients', async () => {
    const fn = () => {
      const x = tf.randomUniform([2, 8, 4, 5, 2], -1, 1, 'float32', 81);
      const layer = tf.layers.conv3d({ filters: 3, kernelSize: [3, 1, 1], strides: [3, 2, 1], padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.randomUniform({ minval: -1, maxval: 1, seed: 82 }), biasInitializer: 'ones' });
      const f = (t: tf.Tensor) => tf.sum(tf.square(layer.apply(t) as tf.Tensor));
      layer.apply(x); // builds the weights
      const { value, grads } = tf.variableGrads(() => f(x) as tf.Scalar, layer.trainableWeights.map((w) => w.read() as tf.Variable));
      return [value, tf.grad(f)(x), ...Object.values(grads)];
    };
    const ref = await onEngine('cpu', fn);
    expect(maxRelError(await onEngine('native', fn), ref)).toBeLessThan(1e-5);
  });
});
