import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { resetEngine, selectEngine, type EngineName } from '../../src/engine/node/index.js';
import { installMissingGradients } from '../../src/engine/gradients/index.js';
import { addonLoads, maxRelError, NO_ADDON, randn, smallUNet } from './_helpers.js';

afterAll(() => resetEngine());
installMissingGradients();

const models = [
  { name: '2D U-Net', input: [2, 16, 16, 1], filters: [4, 8] },
  { name: '3D U-Net', input: [1, 8, 8, 8, 1], filters: [2, 4] },
];

/** Weights after two Adam steps (binary cross-entropy) from fixed initial weights and data. */
async function twoAdamSteps(engine: EngineName, input: number[], filters: number[]): Promise<Float32Array[]> {
  await selectEngine({ engine, quiet: true });
  const model = smallUNet(input.slice(1), filters, 7);
  const optimizer = tf.train.adam(1e-2);
  const x = tf.tensor(randn(input, 21).values, input);
  const y = tf.tidy(() => tf.tensor(randn([...input.slice(0, -1), 1], 22).values, [...input.slice(0, -1), 1]).greater(1.2).toFloat());
  for (let i = 0; i < 2; i++) {
    tf.tidy(() => {
      optimizer.minimize(() => tf.losses.sigmoidCrossEntropy(y, model.predict(x) as tf.Tensor), false);
    });
  }
  const weights = model.getWeights().map((w) => Float32Array.from(w.dataSync() as Float32Array));
  tf.dispose([x, y]);
  optimizer.dispose();
  model.dispose();
  return weights;
}

describe.each(models)('$name: two Adam steps give the same weights on every engine', ({ input, filters }) => {
  let reference: Float32Array[] = [];
  it('stock cpu (reference) moves the weights', async () => {
    reference = await twoAdamSteps('cpu', input, filters);
    await selectEngine({ engine: 'cpu', quiet: true });
    const initial = tf.tidy(() => smallUNet(input.slice(1), filters, 7).getWeights().map((w) => Float32Array.from(w.dataSync() as Float32Array)));
    expect(maxRelError(reference, initial)).toBeGreaterThan(1e-3);
  });
  it.skipIf(!addonLoads)('native', async () => {
    expect(maxRelError(await twoAdamSteps('native', input, filters), reference)).toBeLessThan(1e-5);
  });
  it('wasm fallback', async () => {
    expect(maxRelError(await twoAdamSteps('wasm', input, filters), reference)).toBeLessThan(1e-5);
  });
  it.skipIf(addonLoads)(`native case skipped: ${NO_ADDON}`, () => {
    expect(addonLoads).toBe(false);
  });
});

/** Bytes of process memory outside V8's heap and ArrayBuffers: the addon's and the wasm heap's allocations. */
function nativeBytes(): number {
  const m = process.memoryUsage();
  return m.rss - m.heapTotal - m.arrayBuffers;
}

/** The wasm backend's linear memory (it only ever grows), or 0 on another backend. */
function wasmHeapBytes(): number {
  const backend = tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } };
  return backend.wasm?.HEAPU8?.buffer.byteLength ?? 0;
}

// A leak of one activation-sized buffer per kernel call would add well over 64 MB in these 200 steps
// (the 3D model's activations are 16³×8 floats = 128 KB, about 30 convolution calls per step), while
// allocator noise stays far below it.
const LEAK_BOUND = 64 * 1024 * 1024;
const engines: EngineName[] = addonLoads ? ['native', 'wasm'] : ['wasm'];

describe.each(engines)('no growth of tensors, backend buffers or native memory over 200 steps on %s', (engine) => {
  it.each([
    { input: [1, 8, 8, 1], filters: [2, 4], steps: 200 },
    { input: [1, 16, 16, 16, 1], filters: [4, 8], steps: 200 },
  ])(`${engine}: $input filters $filters, $steps steps`, async ({ input, filters, steps }) => {
    await selectEngine({ engine, quiet: true });
    const model = smallUNet(input.slice(1), filters, 3);
    const optimizer = tf.train.adam(1e-3);
    const x = tf.randomUniform(input);
    const y = tf.tidy(() => tf.randomUniform([...input.slice(0, -1), 1]).greater(0.5).toFloat());
    const step = () => tf.tidy(() => { optimizer.minimize(() => tf.losses.sigmoidCrossEntropy(y, model.predict(x) as tf.Tensor), false); });
    for (let i = 0; i < 10; i++) step();
    const before = { ...tf.memory(), backendBuffers: tf.backend().numDataIds(), native: nativeBytes(), wasmHeap: wasmHeapBytes() };
    for (let i = 0; i < steps; i++) step();
    const after = { ...tf.memory(), backendBuffers: tf.backend().numDataIds(), native: nativeBytes(), wasmHeap: wasmHeapBytes() };
    const label = `${engine} ${input}`;
    expect(after.numTensors, label).toBe(before.numTensors);
    expect(after.numBytes, label).toBe(before.numBytes);
    // Every temporary a replaced kernel allocates on its backend is released.
    expect(after.backendBuffers, label).toBe(before.backendBuffers);
    expect(after.native - before.native, label).toBeLessThan(LEAK_BOUND);
    expect(after.wasmHeap - before.wasmHeap, label).toBeLessThan(LEAK_BOUND);
    tf.dispose([x, y]);
    optimizer.dispose();
    model.dispose();
  });
});
