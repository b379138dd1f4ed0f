import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/common/index.js';
import { resetEngine, selectEngine } from '../../src/engine/node/index.js';
import {
  installOutputPool,
  outputArrayTuning,
  outputPoolStatistics,
  OUTPUT_POOL_ENV,
  uninitialisedFloat32,
  uninstallOutputPool,
  zeroedFloat32,
  type PoolableBackend,
} from '../../src/engine/outputArrays.js';
import { createOptimizer } from '../../src/training/optimizer.js';
import { addonLoads, NO_ADDON } from './_helpers.js';

const poisoned = process.env.GENDICE_POISON_OUTPUTS === '1';
const N = 1 << 16; // 256 KB: above the size from which arrays are uninitialised (and pooled)
const cpu = () => tf.backend() as unknown as PoolableBackend & { makeTensorInfo(s: number[], d: tf.DataType, v: Float32Array): tf.TensorInfo };

/** A tensor over an array from uninitialisedFloat32, as a kernel would return it. */
function output(n = N, fill = 1): { t: tf.Tensor; a: Float32Array } {
  const a = uninitialisedFloat32(n).fill(fill);
  return { t: tf.engine().makeTensorFromTensorInfo(cpu().makeTensorInfo([n], 'float32', a)), a };
}

describe('the output pool (outputArrays.ts) on the cpu backend', () => {
  beforeAll(async () => {
    resetEngine();
    await tf.setBackend('cpu');
  });
  afterEach(() => {
    outputArrayTuning.maxIdleBytes = undefined;
    delete process.env[OUTPUT_POOL_ENV];
    uninstallOutputPool();
  });

  it('gives a disposed output\'s buffer to the next request of the same size, and only to that size', () => {
    installOutputPool(cpu());
    const first = output();
    const buffer = first.a.buffer;
    first.t.dispose();
    const other = output(N + 16);
    expect(other.a.buffer).not.toBe(buffer);
    const again = output();
    expect(again.a.buffer).toBe(buffer);
    expect(again.a.length).toBe(N);
    expect(Array.from(again.t.dataSync().subarray(0, 3))).toEqual([1, 1, 1]);
    expect(outputPoolStatistics()).toMatchObject({ installed: true, reused: 1, fresh: 2, returned: 1 });
    tf.dispose([other.t, again.t]);
  });

  it('keeps a buffer while another tensor holds its data (reshape) or a view of it (a subarray output)', () => {
    installOutputPool(cpu());
    const first = output();
    const buffer = first.a.buffer;
    const reshaped = first.t.reshape([2, N / 2]);
    first.t.dispose();
    const viewInfo = cpu().makeTensorInfo([8], 'float32', first.a.subarray(8, 16));
    const view = tf.engine().makeTensorFromTensorInfo(viewInfo);
    reshaped.dispose();
    const during = output(N, 5);
    expect(during.a.buffer).not.toBe(buffer);
    expect(Array.from(view.dataSync())).toEqual(new Array(8).fill(1));
    view.dispose();
    // The view was read (dataSync), so its buffer escaped: it must not come back either.
    const after = output(N, 6);
    expect(after.a.buffer).not.toBe(buffer);
    tf.dispose([during.t, after.t]);
  });

  it('never reuses a buffer that dataSync(), data() or arraySync() handed out', async () => {
    installOutputPool(cpu());
    const read = [output(N, 2), output(N, 3), output(N, 4)];
    const arrays = [read[0]!.t.dataSync(), await read[1]!.t.data(), read[2]!.t.arraySync()];
    const buffers = read.map((r) => r.a.buffer);
    tf.dispose(read.map((r) => r.t));
    const later = Array.from({ length: 4 }, () => output(N, 9));
    for (const l of later) expect(buffers).not.toContain(l.a.buffer);
    expect((arrays[0] as Float32Array)[100]).toBe(2);
    expect((arrays[1] as Float32Array)[100]).toBe(3);
    expect(outputPoolStatistics()).toMatchObject({ escaped: 3, returned: 0 });
    tf.dispose(later.map((l) => l.t));
  });

  it('clears a reused buffer for kernels that accumulate (zeroedFloat32), and pools their arrays too', () => {
    installOutputPool(cpu());
    const dirty = output(N, 8);
    const buffer = dirty.a.buffer;
    dirty.t.dispose();
    const zeroed = zeroedFloat32(N);
    expect(zeroed.buffer).toBe(buffer);
    expect(zeroed.every((v) => v === 0)).toBe(true);
    const t = tf.engine().makeTensorFromTensorInfo(cpu().makeTensorInfo([N], 'float32', zeroed));
    t.dispose();
    expect(uninitialisedFloat32(N).buffer).toBe(buffer);
    uninstallOutputPool();
    expect(zeroedFloat32(N).every((v) => v === 0)).toBe(true);
  });

  it('keeps at most the cap of idle bytes, dropping the least recently freed first', () => {
    outputArrayTuning.maxIdleBytes = 3 * N * 4;
    installOutputPool(cpu());
    const outs = Array.from({ length: 5 }, (_, i) => output(N, i));
    const buffers = outs.map((o) => o.a.buffer);
    for (const o of outs) o.t.dispose();
    expect(outputPoolStatistics()).toMatchObject({ idleBuffers: 3, idleBytes: 3 * N * 4, returned: 5 });
    const reused = Array.from({ length: 4 }, () => output());
    // The last three freed come back (most recent first); the fourth request is fresh.
    expect(reused.map((r) => buffers.indexOf(r.a.buffer))).toEqual([4, 3, 2, -1]);
    tf.dispose(reused.map((r) => r.t));
  });

  it('is off with GENDICE_OUTPUT_POOL_MB=0 and rejects a value that is not a size', () => {
    process.env[OUTPUT_POOL_ENV] = '0';
    installOutputPool(cpu());
    expect(outputPoolStatistics().installed).toBe(false);
    const first = output();
    const buffer = first.a.buffer;
    first.t.dispose();
    expect(output().a.buffer).not.toBe(buffer);
    for (const bad of ['lots', '-1', 'NaN']) {
      process.env[OUTPUT_POOL_ENV] = bad;
      expect(() => installOutputPool(cpu())).toThrow(`installOutputPool: ${OUTPUT_POOL_ENV} must be a number of MiB ≥ 0, got '${bad}'`);
    }
  });

  it('comes off the backend completely when uninstalled', () => {
    const backend = cpu();
    const had = { readSync: Object.hasOwn(backend, 'readSync'), set: Object.hasOwn(backend.data, 'set') };
    installOutputPool(backend);
    expect(Object.hasOwn(backend, 'readSync')).toBe(true);
    const first = output();
    first.t.dispose();
    uninstallOutputPool();
    expect({ readSync: Object.hasOwn(backend, 'readSync'), set: Object.hasOwn(backend.data, 'set') }).toEqual(had);
    expect(outputPoolStatistics()).toMatchObject({ installed: false, idleBuffers: 0 });
    const after = output();
    expect(after.a.buffer).not.toBe(first.a.buffer);
    after.t.dispose();
  });

  it.runIf(poisoned)('fills a reused buffer with NaN under GENDICE_POISON_OUTPUTS=1', () => {
    installOutputPool(cpu());
    const first = output(N, 7);
    const buffer = first.a.buffer;
    first.t.dispose();
    const again = uninitialisedFloat32(N);
    expect(again.buffer).toBe(buffer);
    expect(again.every((v) => Number.isNaN(v))).toBe(true);
  });
});

// The pool in a real training loop: the native engine installs it; the same steps without it must give the same bits.
describe.skipIf(!addonLoads)('the output pool in training on the native engine', () => {
  beforeAll(async () => {
    await selectEngine({ engine: 'native', quiet: true });
  });
  afterAll(() => resetEngine());

  function train(steps: number): { losses: number[]; digest: string } {
    const r = new Random(7);
    const input = tf.input({ shape: [32, 32, 1] });
    let h = tf.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(input) as tf.SymbolicTensor;
    const skip = h;
    h = tf.layers.maxPooling2d({ poolSize: 2 }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.conv2dTranspose({ filters: 16, kernelSize: 2, strides: 2 }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.concatenate().apply([h, skip]) as tf.SymbolicTensor;
    const out = tf.layers.conv2d({ filters: 1, kernelSize: 1, activation: 'sigmoid' }).apply(h) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    for (const w of model.trainableWeights) {
      const v = w.read();
      w.write(tf.tensor(Float32Array.from({ length: v.size }, () => r.normal() * 0.2), v.shape));
    }
    const x = tf.tensor(Float32Array.from({ length: 8 * 32 * 32 }, () => r.next()), [8, 32, 32, 1]);
    const y = tf.tensor(Float32Array.from({ length: 8 * 32 * 32 }, () => (r.next() > 0.9 ? 1 : 0)), [8, 32, 32, 1]);
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const adam = createOptimizer({ name: 'adam', momentum: 0 });
    const losses: number[] = [];
    for (let i = 0; i < steps; i++) {
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => tf.losses.sigmoidCrossEntropy(y, model.predict(x) as tf.Tensor) as tf.Scalar, variables);
        adam.applyGradients(variables, grads, 1e-2);
        losses.push(value.dataSync()[0]!);
      });
    }
    const hash = createHash('sha256');
    for (const v of variables) hash.update(v.dataSync());
    tf.dispose([x, y]);
    adam.dispose();
    model.dispose();
    return { losses, digest: hash.digest('hex') };
  }

  it('reuses nearly every output after the first step and trains to the same bits as without it', () => {
    expect(outputPoolStatistics().installed).toBe(true);
    const pooled = train(4);
    const stats = outputPoolStatistics();
    expect(stats.reused).toBeGreaterThan(2 * stats.fresh);
    uninstallOutputPool();
    const plain = train(4);
    expect(pooled.losses).toEqual(plain.losses);
    expect(pooled.digest).toBe(plain.digest);
    expect(pooled.losses[3]!).toBeLessThan(pooled.losses[0]!);
  });
});
