import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAddon, resetEngine, selectEngine, type EngineName } from '../../src/engine/node/index.js';
import { installMissingGradients } from '../../src/engine/gradients/index.js';
import { engineBackpropTakesDilations } from '../../src/engine/gradients/dilatedConv.js';

/** The dilated gradients on gendice's engines, whose backprop kernels take `dilations` directly. */
function explicitlyDilated(w: tf.Tensor, d: number[]): tf.Tensor {
  const k = w.shape.slice(0, d.length);
  const rest = w.shape.slice(d.length);
  const pads = [...d.flatMap((di): [number, number][] => [[0, 0], [0, di - 1]]), ...rest.map((): [number, number] => [0, 0])];
  const padded = tf.pad(tf.reshape(w, [...k.flatMap((v) => [v, 1]), ...rest]), pads);
  const full = tf.reshape(padded, [...k.map((v, i) => v * d[i]!), ...rest]);
  return tf.slice(full, new Array<number>(full.rank).fill(0), [...k.map((v, i) => (v - 1) * d[i]! + 1), ...rest]);
}

function relError(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]! / Math.max(tf.max(tf.abs(b)).dataSync()[0]!, 1e-6));
}

const engines: EngineName[] = loadAddon().ok ? ['native', 'wasm'] : ['wasm'];

const x2Values = Array.from({ length: 2 * 9 * 10 * 3 }, (_, i) => Math.sin(i));
const w2Values = Array.from({ length: 3 * 3 * 3 * 4 }, (_, i) => Math.cos(i));
const x3Values = Array.from({ length: 7 * 8 * 6 * 2 }, (_, i) => Math.sin(0.7 * i));
const w3Values = Array.from({ length: 27 * 2 * 3 }, (_, i) => Math.cos(0.3 * i));

function gradients(reference: boolean): tf.Tensor[] {
  const x2 = tf.tensor(x2Values, [2, 9, 10, 3]);
  const w2 = tf.tensor(w2Values, [3, 3, 3, 4]);
  const x3 = tf.tensor(x3Values, [1, 7, 8, 6, 2]);
  const w3 = tf.tensor(w3Values, [3, 3, 3, 2, 3]);
  const conv2 = (a: tf.Tensor, b: tf.Tensor): tf.Tensor =>
    reference
      ? tf.conv2d(a as tf.Tensor4D, explicitlyDilated(b, [2, 3]) as tf.Tensor4D, 1, 'same')
      : tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same', 'NHWC', [2, 3]);
  const conv3 = (a: tf.Tensor, b: tf.Tensor): tf.Tensor =>
    reference
      ? tf.conv3d(a as tf.Tensor5D, explicitlyDilated(b, [2, 1, 2]) as tf.Tensor5D, 1, 'valid')
      : tf.conv3d(a as tf.Tensor5D, b as tf.Tensor5D, 1, 'valid', 'NDHWC', [2, 1, 2]);
  return [
    ...tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(conv2(a, b))))([x2, w2]),
    ...tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(conv3(a, b))))([x3, w3]),
  ];
}

// The reference runs on stock cpu before any engine is selected: undilated convolutions with an
// explicitly dilated filter, independent of the gradients under test.
let expected: { values: Float32Array; shape: number[] }[] = [];

beforeAll(async () => {
  await tf.setBackend('cpu');
  expected = gradients(true).map((g) => ({ values: g.dataSync() as Float32Array, shape: g.shape }));
});

afterAll(() => resetEngine());

describe.each(engines)('dilated convolution gradients on the %s engine', (engine) => {
  it('use the engine kernels and equal the explicitly dilated reference (2D and 3D)', async () => {
    await selectEngine({ engine, quiet: true });
    installMissingGradients();
    expect(engineBackpropTakesDilations(2)).toBe(true);
    expect(engineBackpropTakesDilations(3)).toBe(true);
    const ours = gradients(false);
    ours.forEach((g, i) => expect(relError(g, tf.tensor(expected[i]!.values, expected[i]!.shape))).toBeLessThan(1e-5));
    resetEngine();
  });
});
