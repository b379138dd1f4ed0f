import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { installMissingGradients } from '../../src/engine/gradients/index.js';
import { squareningPermutation } from '../../src/engine/gradients/maxPool3d.js';
import { resetEngine, type EngineName } from '../../src/engine/node/index.js';
import { addonLoads, maxRelError, onEngine, randn, tensor } from './_helpers.js';

// The kernels of an anisotropic 3D U-Net (nnU-Net's [2, 2, 1] pooling, 3×3×1 convolutions, [2, 2, 1]
// transposed convolutions) on every Node engine. Max pooling against a loop written here (stock cpu's
// MaxPool3DGrad is wrong when the pool's height and width differ; gendice's MaxPool3D gradient fixes it).
installMissingGradients();
afterAll(() => resetEngine());

const engines: EngineName[] = ['cpu', 'native', 'wasm'];
const runs = (engine: EngineName): boolean => engine !== 'native' || addonLoads;

/** Max pool with pool = stride and 'valid' padding, and its gradient for upstream `dy`, by definition. */
function referencePool(x: Float32Array, shape: number[], pool: number[], dy: Float32Array): { y: Float32Array; dx: Float32Array } {
  const [N, D, H, W, C] = shape as [number, number, number, number, number];
  const [pd, ph, pw] = pool as [number, number, number];
  const [OD, OH, OW] = [Math.floor(D / pd), Math.floor(H / ph), Math.floor(W / pw)];
  const y = new Float32Array(N * OD * OH * OW * C);
  const dx = new Float32Array(x.length);
  const at = (n: number, d: number, h: number, w: number, c: number) => (((n * D + d) * H + h) * W + w) * C + c;
  let o = 0;
  for (let n = 0; n < N; n++)
    for (let od = 0; od < OD; od++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++)
          for (let c = 0; c < C; c++, o++) {
            let best = -Infinity;
            let arg = -1;
            for (let a = 0; a < pd; a++)
              for (let b = 0; b < ph; b++)
                for (let e = 0; e < pw; e++) {
                  const i = at(n, od * pd + a, oh * ph + b, ow * pw + e, c);
                  if (x[i]! > best) [best, arg] = [x[i]!, i];
                }
            y[o] = best;
            dx[arg] = dx[arg]! + dy[o]!;
          }
  return { y, dx };
}

describe('squareningPermutation', () => {
  it('moves the odd extent to depth, or says none is needed or possible', () => {
    expect(squareningPermutation([2, 2, 1])).toEqual([2, 0, 1]);
    expect(squareningPermutation([2, 1, 2])).toEqual([1, 0, 2]);
    expect(squareningPermutation([1, 2, 2])).toBeUndefined();
    expect(squareningPermutation([2, 2, 2])).toBeUndefined();
    expect(squareningPermutation([1, 2, 3])).toBeUndefined();
  });
});

describe.each(engines)('anisotropic 3D kernels on %s', (engine) => {
  it.skipIf(!runs(engine)).each([
    [[2, 2, 1]],
    [[2, 1, 2]],
    [[1, 2, 2]],
    [[2, 2, 2]],
  ])('max pool %j and its gradient match the definition', async (pool) => {
    const shape = [2, 4, 6, 4, 3];
    // Signed values with windows of negative ones only: TF.js 4.22's own wasm MaxPool3D starts its maximum
    // at FLT_MIN (1.18e-38), which the wasm engine's kernel replaces.
    const x = randn(shape, 21);
    for (let i = 0; i < 2 * 6 * 4 * 3; i++) x.values[i] = -Math.abs(x.values[i]!); // the first item's first two depth slices: all negative
    const outShape = [2, 4 / pool[0]!, 6 / pool[1]!, 4 / pool[2]!, 3];
    const dy = randn(outShape, 22);
    const ref = referencePool(x.values, shape, pool, dy.values);
    const [y, dx] = await onEngine(engine, () => {
      const f = (t: tf.Tensor) => tf.maxPool3d(t as tf.Tensor5D, pool as [number, number, number], pool as [number, number, number], 'valid');
      const xt = tensor(x);
      return [f(xt), tf.grad((t: tf.Tensor) => tf.sum(tf.mul(f(t), tensor(dy))))(xt)];
    });
    expect(Array.from(y!)).toEqual(Array.from(ref.y));
    expect(maxRelError([dx!], [ref.dx])).toBeLessThan(1e-6);
  });

  it.skipIf(!runs(engine) || engine === 'cpu')('3×3×1 convolution and [2, 2, 1] transposed convolution, forward and gradients, match stock cpu', async () => {
    const x = randn([2, 6, 4, 3, 2], 31);
    const f = randn([3, 3, 1, 2, 4], 32);
    const up = randn([2, 2, 1, 3, 4], 33);
    const fn = (): tf.Tensor[] => {
      const xt = tensor(x) as tf.Tensor5D;
      const ft = tensor(f) as tf.Tensor5D;
      const ut = tensor(up) as tf.Tensor5D;
      const net = (a: tf.Tensor5D, b: tf.Tensor5D, c: tf.Tensor5D): tf.Scalar => {
        const y = tf.conv3d(a, b, 1, 'same');
        const z = tf.conv3dTranspose(y, c, [2, 12, 8, 3, 3], [2, 2, 1], 'same');
        return tf.sum(tf.mul(z, z));
      };
      const y = tf.conv3d(xt, ft, 1, 'same');
      const z = tf.conv3dTranspose(y, ut, [2, 12, 8, 3, 3], [2, 2, 1], 'same');
      const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => net(a as tf.Tensor5D, b as tf.Tensor5D, c as tf.Tensor5D))([xt, ft, ut]);
      return [y, z, ...grads];
    };
    const ref = await onEngine('cpu', fn);
    const got = await onEngine(engine, fn);
    expect(got.map((g) => g.length)).toEqual([2 * 6 * 4 * 3 * 4, 2 * 12 * 8 * 3 * 3, x.values.length, f.values.length, up.values.length]);
    expect(maxRelError(got, ref)).toBeLessThan(1e-5);
  });
});
