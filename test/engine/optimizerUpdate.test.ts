import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/common/index.js';
import { fusedOptimizerAvailable } from '../../src/engine/index.js';
import { loadAddon } from '../../src/engine/node/addon.js';
import { resetEngine, selectEngine } from '../../src/engine/node/index.js';
import { setNativeOptimizerUpdate } from '../../src/engine/optimizerUpdate.js';
import { createOptimizer } from '../../src/training/optimizer.js';
import { NO_ADDON } from './_helpers.js';

const addon = loadAddon();
const fusedAddon = addon.ok && typeof addon.addon.optimizerUpdate === 'function';
const shapes = [[3, 3, 2, 4], [4], [70_000]]; // the last one is split across OpenMP threads

function weights(seed: number): tf.Variable[] {
  const r = new Random(seed);
  return shapes.map((s) => tf.tidy(() => tf.tensor(Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => r.normal()), s).variable(true)));
}

/** Gradients of widely spread magnitudes (GDL's are tiny), some exactly zero. */
function gradients(variables: tf.Variable[], step: number): tf.NamedTensorMap {
  const r = new Random(1000 + step);
  return Object.fromEntries(
    variables.map((v) => [v.name, tf.tensor(Array.from({ length: v.size }, (_, i) => (i % 17 === 0 ? 0 : r.normal() * 10 ** -(i % 7))), v.shape)]),
  );
}

/** Runs `steps` updates of a fresh optimizer, returning the weights' and the state's values. */
function run(name: 'adam' | 'sgd', steps: number, fused: boolean): number[][] {
  setNativeOptimizerUpdate(fused && addon.ok ? addon.addon.optimizerUpdate!.bind(addon.addon) : undefined);
  expect(fusedOptimizerAvailable()).toBe(fused);
  const variables = weights(3);
  const optimizer = createOptimizer({ name, momentum: 0.9 });
  for (let step = 0; step < steps; step++) {
    const g = gradients(variables, step);
    optimizer.applyGradients(variables, g, 0.01 * 0.9 ** step);
    tf.dispose(Object.values(g));
  }
  const out = [...variables, ...optimizer.getState().tensors.map((t) => t.tensor)].map((t) => Array.from(t.dataSync()));
  optimizer.dispose();
  tf.dispose(variables);
  return out;
}

describe.skipIf(!fusedAddon)('fused native optimizer update (optimizerUpdate.ts, native/src/optimizer.cc)', () => {
  beforeAll(async () => {
    await selectEngine({ engine: 'native', quiet: true });
  });
  afterAll(() => resetEngine());

  it.each(['adam', 'sgd'] as const)('%s: weights and state bit-identical to the composed update over 8 steps', (name) => {
    const composed = run(name, 8, false);
    const fused = run(name, 8, true);
    expect(fused).toEqual(composed);
    // The update did something: the weights moved from their initial values.
    const initial = weights(3);
    expect(fused[2]![5]).not.toBe(initial[2]!.dataSync()[5]);
    tf.dispose(initial);
  });

  it('updates in place only what no other tensor shares: a clone of a weight or a slot keeps the old values', () => {
    setNativeOptimizerUpdate(addon.ok ? addon.addon.optimizerUpdate!.bind(addon.addon) : undefined);
    const variables = weights(4);
    const optimizer = createOptimizer({ name: 'adam', momentum: 0.9 });
    const g0 = gradients(variables, 0);
    optimizer.applyGradients(variables, g0, 0.01);
    const dataIdBefore = variables[0]!.dataId;
    const weightCopy = variables[1]!.clone();
    const slotCopy = optimizer.getState().tensors[2]!.tensor.clone(); // m of the first weight
    const [weightBefore, slotBefore] = [Array.from(weightCopy.dataSync()), Array.from(slotCopy.dataSync())];
    const g1 = gradients(variables, 1);
    optimizer.applyGradients(variables, g1, 0.01);
    expect(variables[0]!.dataId).toBe(dataIdBefore); // exclusive: overwritten in place
    expect(Array.from(weightCopy.dataSync())).toEqual(weightBefore);
    expect(Array.from(slotCopy.dataSync())).toEqual(slotBefore);
    expect(Array.from(variables[1]!.dataSync())).not.toEqual(weightBefore);
    expect(Array.from(optimizer.getState().tensors[2]!.tensor.dataSync())).not.toEqual(slotBefore);
    tf.dispose([...Object.values(g0), ...Object.values(g1), weightCopy, slotCopy, ...variables]);
    optimizer.dispose();
  });

  it('is off after resetEngine() and on another engine', async () => {
    await selectEngine({ engine: 'native', quiet: true });
    expect(fusedOptimizerAvailable()).toBe(true);
    resetEngine();
    expect(fusedOptimizerAvailable()).toBe(false);
    await selectEngine({ engine: 'wasm', quiet: true });
    expect(fusedOptimizerAvailable()).toBe(false);
    await selectEngine({ engine: 'native', quiet: true });
    expect(fusedOptimizerAvailable()).toBe(true);
  });
});

describe.skipIf(fusedAddon)('fused native optimizer update', () => {
  it.skip(NO_ADDON, () => undefined);
});
