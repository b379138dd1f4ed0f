import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/common/index.js';
import { selectEngine } from '../../src/engine/index.js';
import { createOptimizer, type TrainingOptimizer } from '../../src/training/optimizer.js';

const shapes = [[3, 4], [5], [2, 2, 3]];
/** TF.js's optimizers type their gradients as variables; tensors are what they are given in practice. */
type TfjsGradients = Parameters<tf.AdamOptimizer['applyGradients']>[0];

/** Fresh weights (the same values every call) and a gradient generator of fixed seed. */
function setup(seed: number): { variables: tf.Variable[]; gradients: (step: number) => tf.NamedTensorMap } {
  const r = new Random(seed);
  const variables = shapes.map((s) => tf.tidy(() => tf.tensor(Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => r.normal()), s).variable(true)));
  const gradients = (step: number): tf.NamedTensorMap => {
    const g = new Random(seed * 1000 + step);
    return Object.fromEntries(variables.map((v) => [v.name, tf.tensor(Array.from({ length: v.size }, () => g.normal() * 0.1), v.shape)]));
  };
  return { variables, gradients };
}

function values(variables: tf.Variable[]): number[][] {
  return variables.map((v) => Array.from(v.dataSync()));
}

const configs = [
  { name: 'adam' as const, momentum: 0.9, tfjs: (lr: number) => tf.train.adam(lr) },
  { name: 'sgd' as const, momentum: 0.9, tfjs: (lr: number) => tf.train.momentum(lr, 0.9) },
];
const rate = (step: number): number => 0.01 * 0.97 ** step;

beforeAll(async () => {
  await selectEngine();
});

describe.each(configs)('createOptimizer $name', (c) => {
  it("updates the weights bit for bit as TF.js's optimizer does", () => {
    const ours = setup(1);
    const theirs = setup(1);
    const optimizer = createOptimizer(c);
    const reference = c.tfjs(rate(0));
    for (let step = 0; step < 25; step++) {
      const g = ours.gradients(step);
      optimizer.applyGradients(ours.variables, g, rate(step));
      const h = Object.fromEntries(theirs.variables.map((v, i) => [v.name, g[ours.variables[i]!.name]!]));
      (reference as unknown as { learningRate: number }).learningRate = rate(step);
      if (c.name === 'sgd') (reference as tf.MomentumOptimizer).setLearningRate(rate(step));
      reference.applyGradients(h as unknown as TfjsGradients);
      tf.dispose(Object.values(g));
    }
    expect(values(ours.variables)).toEqual(values(theirs.variables));
    expect(optimizer.step).toBe(25);
    optimizer.dispose();
    reference.dispose();
    tf.dispose([...ours.variables, ...theirs.variables]);
  });

  it('resumes from its state at every step with exactly the weights of an uninterrupted run, leaking no tensor', () => {
    const steps = 12;
    const whole = setup(2);
    const uninterrupted = createOptimizer(c);
    const states: Array<{ weights: number[][]; state: ReturnType<TrainingOptimizer['getState']> }> = [];
    for (let step = 0; step < steps; step++) {
      // A checkpoint: copies of the weights and of the optimizer's state, as a checkpoint file holds.
      const s = uninterrupted.getState();
      states.push({ weights: values(whole.variables), state: { ...s, tensors: s.tensors.map((t) => ({ name: t.name, tensor: t.tensor.clone() })) } });
      const g = whole.gradients(step);
      uninterrupted.applyGradients(whole.variables, g, rate(step));
      tf.dispose(Object.values(g));
    }
    const expected = values(whole.variables);
    const before = tf.memory().numTensors;
    states.forEach(({ weights, state }, from) => {
      const resumed = setup(2);
      tf.tidy(() => resumed.variables.forEach((v, i) => v.assign(tf.tensor(weights[i]!, v.shape))));
      const optimizer = createOptimizer(c);
      optimizer.setState(state);
      tf.dispose(state.tensors.map((t) => t.tensor));
      expect(optimizer.step).toBe(from);
      for (let step = from; step < steps; step++) {
        const g = resumed.gradients(step);
        optimizer.applyGradients(resumed.variables, g, rate(step));
        tf.dispose(Object.values(g));
      }
      expect(values(resumed.variables), `resumed from step ${from}`).toEqual(expected);
      optimizer.dispose();
      tf.dispose(resumed.variables);
    });
    // The resumed optimizers' tensors and the checkpoint copies are all released.
    expect(tf.memory().numTensors).toBe(before - states.reduce((n, s) => n + s.state.tensors.length, 0));
    uninterrupted.dispose();
    tf.dispose(whole.variables);
  });

  it('refuses a state of another optimizer or of other weights, naming the problem', () => {
    const optimizer = createOptimizer(c);
    const other = createOptimizer({ name: c.name === 'adam' ? 'sgd' : 'adam', momentum: 0.9 });
    expect(() => optimizer.setState(other.getState())).toThrow(new RegExp(`^${c.name}\\.setState: the state is of optimizer '${other.name}'`));
    const { variables, gradients } = setup(3);
    const g = gradients(0);
    other.dispose();
    const donor = createOptimizer(c);
    donor.applyGradients(variables.slice(0, 2), g, 0.01);
    optimizer.setState(donor.getState());
    expect(() => optimizer.applyGradients(variables, g, 0.01)).toThrow(new RegExp(`^${c.name}: the restored state holds 2 weights, the model has 3`));
    tf.dispose([...Object.values(g), ...variables]);
    donor.dispose();
    optimizer.dispose();
  });
});

describe("the root cause of issue 14's non-identical resumes", () => {
  it("TF.js's Adam restored with setWeights recomputes β^t with pow and drifts from an uninterrupted run", async () => {
    const whole = setup(4);
    const reference = tf.train.adam(0.01);
    let saved: Array<{ name: string; tensor: tf.Tensor }> = [];
    let weights: number[][] = [];
    for (let step = 0; step < 30; step++) {
      if (step === 15) {
        saved = (await reference.getWeights()).map((w) => ({ name: w.name, tensor: w.tensor.clone() }));
        weights = values(whole.variables);
      }
      const g = whole.gradients(step);
      reference.applyGradients(g as unknown as TfjsGradients);
      tf.dispose(Object.values(g));
    }
    const resumed = setup(4);
    tf.tidy(() => resumed.variables.forEach((v, i) => v.assign(tf.tensor(weights[i]!, v.shape))));
    const restored = tf.train.adam(0.01);
    await restored.setWeights(saved);
    for (let step = 15; step < 30; step++) {
      const g = resumed.gradients(step);
      restored.applyGradients(g as unknown as TfjsGradients);
      tf.dispose(Object.values(g));
    }
    // pow(0.9, 16) in float32 is not the float32 running product of 16 factors 0.9.
    let product = Math.fround(0.9);
    for (let t = 1; t < 16; t++) product = Math.fround(product * Math.fround(0.9));
    expect(Math.fround(Math.fround(0.9) ** 16)).not.toBe(product);
    expect(values(resumed.variables)).not.toEqual(values(whole.variables));
    reference.dispose();
    restored.dispose();
    tf.dispose([...whole.variables, ...resumed.variables]);
  });
});
