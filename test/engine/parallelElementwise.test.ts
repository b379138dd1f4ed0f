import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { registerPooling } from '../../src/engine/jsPooling.js';
import { registerSliceConcat } from '../../src/engine/jsSliceConcat.js';
import { restoreKernels } from '../../src/engine/kernelRegistry.js';
import { resetEngine, selectEngine } from '../../src/engine/node/index.js';
import { addonLoads, NO_ADDON, onEngine, randn, tensor } from './_helpers.js';

// Outputs above 2^18 elements: the addon's binary and unary loops split them across OpenMP threads by rows.
const x = randn([2, 40, 40, 40, 5], 1); // 640,000 elements
const bias = randn([5], 2);
const middle = randn([1, 40, 1, 1, 1], 3);
const odd = randn([2, 1, 41, 1, 7], 4); // rows that do not divide evenly between threads

describe.skipIf(!addonLoads)('multi-threaded memory-bound kernels equal stock cpu bit for bit', () => {
  afterAll(() => resetEngine());

  it('bias add, broadcast multiply on a middle axis, sub, div, relu, step, sqrt, square, neg, abs', async () => {
    const f = () => {
      const y = tf.add(tensor(x), tensor(bias));
      const wide = tf.mul(tensor(x), tensor(middle));
      const z = tf.sub(wide, tf.div(tensor(x), tf.add(tf.abs(tensor(middle)), 1)));
      const big = tf.mul(tf.ones([2, 40, 41, 40, 7]), tensor(odd));
      return [y, wide, z, tf.relu(y), tf.step(z), tf.sqrt(tf.abs(z)), tf.square(y), tf.neg(y), big];
    };
    const native = await onEngine('native', f);
    const stock = await onEngine('cpu', f);
    native.forEach((v, i) => expect(Array.from(v)).toEqual(Array.from(stock[i]!)));
    expect(native[0]!.length).toBeGreaterThan(1 << 18);
  });
});

// Max pooling splits rows of outputs across threads from 2^16 outputs (its gradient by image, or by rows
// where windows do not overlap), Concat/SplitV copy by runs from 2^18 floats. The reference is the same
// scan as JS loops on one thread (jsPooling.ts, on stock cpu), bit for bit. Values are quantised to quarters
// so that windows hold ties (the first maximum in window order gets the gradient). Stock TF.js itself is
// the reference only without ties and for disjoint windows: its 3D kernel gives a tie's gradient to the
// last maximum (pixel >= max), and where windows overlap it adds a dx element's contributions in another
// order (docs/engine.md).
const quantised = (shape: number[], seed: number) => {
  const d = randn(shape, seed);
  return { shape, values: d.values.map((v) => Math.round(v * 4) / 4) };
};

async function onJsLoops(f: () => tf.Tensor[]): Promise<Float32Array[]> {
  await selectEngine({ engine: 'cpu', quiet: true });
  registerPooling();
  registerSliceConcat();
  try {
    return tf.tidy(() => f().map((t) => Float32Array.from(t.dataSync() as Float32Array)));
  } finally {
    restoreKernels();
  }
}

function pooling(image: { shape: number[]; values: Float32Array }, size: number, stride: number, pad: 'valid' | 'same') {
  return () => {
    const x = tensor(image);
    const pool = (v: tf.Tensor) => (v.rank === 5 ? tf.maxPool3d(v as tf.Tensor5D, size, stride, pad) : tf.maxPool(v as tf.Tensor4D, size, stride, pad));
    return [pool(x), tf.grad((v: tf.Tensor) => tf.sum(tf.mul(pool(v), tf.cos(pool(v)))))(x)];
  };
}

const same = (a: Float32Array[], b: Float32Array[], what: string) => a.forEach((v, i) => expect(Array.from(v), `${what}, output ${i}`).toEqual(Array.from(b[i]!)));

describe.skipIf(!addonLoads)('multi-threaded pooling and channel copies equal one-thread loops bit for bit', () => {
  afterAll(() => resetEngine());

  it('2D and 3D max pool and gradients: disjoint 2 stride 2, overlapping 3 stride 1 and 2, with ties', async () => {
    const images = [quantised([4, 96, 96, 8], 5), quantised([3, 32, 32, 32, 4], 6)];
    for (const image of images) {
      for (const [size, stride, pad] of [[2, 2, 'valid'], [3, 1, 'same'], [3, 2, 'same']] as const) {
        const f = pooling(image, size, stride, pad);
        same(await onEngine('native', f), await onJsLoops(f), `rank ${image.shape.length} pool ${size} stride ${stride}`);
      }
    }
  });

  it('equals stock TF.js without ties on disjoint windows', async () => {
    for (const image of [randn([4, 96, 96, 8], 7), randn([3, 32, 32, 32, 4], 8)]) {
      const f = pooling(image, 2, 2, 'valid');
      same(await onEngine('native', f), await onEngine('cpu', f), `rank ${image.shape.length}`);
    }
  });

  it('channel Concat and SplitV of large tensors', async () => {
    const image = randn([4, 96, 96, 8], 9);
    const f = () => {
      const a = tensor(image);
      const b = tf.mul(tensor(image), 2).slice([0, 0, 0, 0], [4, 96, 96, 3]);
      const joined = tf.concat([a, b], 3);
      return [joined, ...tf.split(joined, [5, 6], 3)];
    };
    same(await onEngine('native', f), await onEngine('cpu', f), 'concat/split');
  });
});

describe.skipIf(addonLoads)('multi-threaded memory-bound kernels', () => {
  it.skip(NO_ADDON, () => undefined);
});
