import * as tf from '@tensorflow/tfjs';
import { fusedAdamUpdate, fusedMomentumUpdate, fusedOptimizerAvailable } from '../engine/index.js';
import type { TrainingConfig } from './config.js';

type OptimizerConfig = TrainingConfig['optimizer'];

/**
 * The complete state of an optimizer, for checkpoints: the step count and every tensor the next update
 * reads (Adam: the running β-products and both moments; SGD: the momentum accumulations). Slot names
 * are `<weight>/<slot>`; slots are matched to the trainable weights by position.
 */
export interface OptimizerState {
  name: 'adam' | 'sgd';
  /** Updates applied so far. */
  step: number;
  tensors: Array<{ name: string; tensor: tf.Tensor }>;
}

/**
 * An optimizer whose whole state is explicit, so that a run resumed from a checkpoint continues with
 * exactly the numbers an uninterrupted run would use. The updates are TF.js's (`tf.train.adam`,
 * `tf.train.momentum`) operation for operation, so they give the same weights bit for bit; what differs
 * is the state: TF.js's Adam restores its β-products with `pow(β, t + 1)`, which differs in the last bits
 * from the float32 running product an uninterrupted run holds (up to 1.2e-3 in the weights after 30
 * steps of a small U-Net). Here the products are part of the state. On the native engine each weight's
 * update is one fused pass of the addon (src/engine/optimizerUpdate.ts) that computes the same float32
 * operations in the same order, so fresh and resumed runs get the same bits on either path.
 */
export interface TrainingOptimizer {
  readonly name: 'adam' | 'sgd';
  /** Updates applied so far. */
  readonly step: number;
  /** One update of `variables` (the model's trainable weights, always in the same order) at `learningRate`. */
  applyGradients(variables: readonly tf.Variable[], gradients: tf.NamedTensorMap, learningRate: number): void;
  /** The state (the optimizer's own tensors: read them, do not dispose them). */
  getState(): OptimizerState;
  /** Replaces the state by a copy of `state` (from `getState`, possibly through a checkpoint). */
  setState(state: OptimizerState): void;
  dispose(): void;
}

/** A new non-trainable float32 variable holding a copy of `tensor`'s values. */
function variableCopy(tensor: tf.Tensor): tf.Variable {
  const copy = tf.cast(tensor, 'float32');
  const variable = copy.variable(false);
  copy.dispose();
  return variable;
}

/**
 * Per-weight slots (Adam's moments, SGD's accumulations), created as zeros on the first update as TF.js
 * does, or restored from a state. A restored state is checked against the weights at the next update.
 */
class Slots {
  private slots: tf.Variable[][] = [];
  private weightNames: string[] = [];

  constructor(
    private readonly optimizer: string,
    private readonly names: readonly string[],
  ) {}

  get(variables: readonly tf.Variable[]): tf.Variable[][] {
    if (this.slots.length === 0) {
      this.slots = this.names.map(() => variables.map((v) => tf.tidy(() => tf.zerosLike(v).variable(false))));
      this.weightNames = variables.map((v) => v.name);
    }
    const first = this.slots[0]!;
    if (first.length !== variables.length) {
      throw new Error(`${this.optimizer}: the restored state holds ${first.length} weights, the model has ${variables.length}`);
    }
    first.forEach((slot, i) => {
      const v = variables[i]!;
      if (slot.shape.join(',') !== v.shape.join(',')) {
        throw new Error(`${this.optimizer}: restored slot '${this.weightNames[i]}' has shape [${slot.shape.join(', ')}], weight '${v.name}' has [${v.shape.join(', ')}]`);
      }
    });
    return this.slots;
  }

  /** Named tensors `<weight>/<slot>`, slot by slot (every weight's first slot, then every second one). */
  named(): Array<{ name: string; tensor: tf.Tensor }> {
    return this.slots.flatMap((slot, k) => slot.map((tensor, i) => ({ name: `${this.weightNames[i]!}/${this.names[k]!}`, tensor })));
  }

  set(tensors: ReadonlyArray<{ name: string; tensor: tf.Tensor }>): void {
    if (tensors.length % this.names.length !== 0) {
      throw new Error(`${this.optimizer}.setState: expected ${this.names.length} slots per weight, got ${tensors.length} tensors`);
    }
    const n = tensors.length / this.names.length;
    tensors.forEach(({ name }, j) => {
      const slot = this.names[Math.floor(j / n)]!;
      if (!name.endsWith(`/${slot}`)) throw new Error(`${this.optimizer}.setState: tensor ${j} is '${name}', expected a '/${slot}' slot`);
    });
    this.dispose();
    if (n === 0) return;
    this.slots = this.names.map((_, k) => tensors.slice(k * n, (k + 1) * n).map(({ tensor }) => variableCopy(tensor)));
    this.weightNames = tensors.slice(0, n).map(({ name }) => name.slice(0, name.lastIndexOf('/')));
  }

  dispose(): void {
    for (const slot of this.slots) tf.dispose(slot);
    this.slots = [];
    this.weightNames = [];
  }
}

function checkName(optimizer: 'adam' | 'sgd', state: OptimizerState): void {
  if (state.name !== optimizer) throw new Error(`${optimizer}.setState: the state is of optimizer '${state.name}'`);
  if (!Number.isInteger(state.step) || state.step < 0) throw new Error(`${optimizer}.setState: step must be an integer ≥ 0, got ${state.step}`);
}

/** Adam (Kingma and Ba 2015) as `tf.train.adam(lr, beta1, beta2)`, with β1^t and β2^t as running float32 products. */
class Adam implements TrainingOptimizer {
  readonly name = 'adam';
  step = 0;
  private readonly slots = new Slots('adam', ['m', 'v']);
  /** β1^t and β2^t of the next update t, as the float32 running products of an uninterrupted run. */
  private beta1Power: tf.Variable;
  private beta2Power: tf.Variable;
  private readonly epsilon: number;

  constructor(
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
  ) {
    this.beta1Power = tf.tidy(() => tf.scalar(beta1).variable(false));
    this.beta2Power = tf.tidy(() => tf.scalar(beta2).variable(false));
    this.epsilon = tf.backend().epsilon();
  }

  applyGradients(variables: readonly tf.Variable[], gradients: tf.NamedTensorMap, learningRate: number): void {
    const [m, v] = this.slots.get(variables) as [tf.Variable[], tf.Variable[]];
    tf.tidy(() => {
      const oneMinusBeta1Power = tf.sub(1, this.beta1Power);
      const oneMinusBeta2Power = tf.sub(1, this.beta2Power);
      // The native engine's fused pass computes the same float32 operations in the same order (bit-identical).
      const fused = fusedOptimizerAvailable()
        ? {
            beta1: this.beta1,
            beta2: this.beta2,
            oneMinusBeta1Power: oneMinusBeta1Power.dataSync()[0]!,
            oneMinusBeta2Power: oneMinusBeta2Power.dataSync()[0]!,
            epsilon: this.epsilon,
            learningRate,
          }
        : undefined;
      variables.forEach((value, i) => {
        const gradient = gradients[value.name];
        if (gradient === undefined) return;
        if (fused !== undefined && fusedAdamUpdate(value, gradient, m[i]!, v[i]!, fused)) return;
        const newM = tf.add(tf.mul(m[i]!, this.beta1), tf.mul(gradient, 1 - this.beta1));
        const newV = tf.add(tf.mul(v[i]!, this.beta2), tf.mul(tf.square(gradient), 1 - this.beta2));
        const mHat = tf.div(newM, oneMinusBeta1Power);
        const vHat = tf.div(newV, oneMinusBeta2Power);
        m[i]!.assign(newM);
        v[i]!.assign(newV);
        value.assign(tf.add(tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), this.epsilon)), -learningRate), value));
      });
      this.beta1Power.assign(tf.mul(this.beta1Power, this.beta1));
      this.beta2Power.assign(tf.mul(this.beta2Power, this.beta2));
    });
    this.step++;
  }

  getState(): OptimizerState {
    return {
      name: 'adam',
      step: this.step,
      tensors: [{ name: 'beta1Power', tensor: this.beta1Power }, { name: 'beta2Power', tensor: this.beta2Power }, ...this.slots.named()],
    };
  }

  setState(state: OptimizerState): void {
    checkName('adam', state);
    const [b1, b2, ...slots] = state.tensors;
    if (b1?.name !== 'beta1Power' || b2?.name !== 'beta2Power' || b1.tensor.size !== 1 || b2.tensor.size !== 1) {
      throw new Error(`adam.setState: expected the scalars 'beta1Power' and 'beta2Power' first, got '${b1?.name}' and '${b2?.name}'`);
    }
    tf.tidy(() => {
      this.beta1Power.assign(tf.reshape(tf.cast(b1.tensor, 'float32'), []));
      this.beta2Power.assign(tf.reshape(tf.cast(b2.tensor, 'float32'), []));
    });
    this.slots.set(slots);
    this.step = state.step;
  }

  dispose(): void {
    this.slots.dispose();
    this.beta1Power.dispose();
    this.beta2Power.dispose();
  }
}

/** SGD with (heavy-ball) momentum as `tf.train.momentum(lr, momentum)`: a ← μ·a + g, w ← w − lr·a. */
class Momentum implements TrainingOptimizer {
  readonly name = 'sgd';
  step = 0;
  private readonly slots = new Slots('sgd', ['momentum']);

  constructor(private readonly momentum: number) {}

  applyGradients(variables: readonly tf.Variable[], gradients: tf.NamedTensorMap, learningRate: number): void {
    const [a] = this.slots.get(variables) as [tf.Variable[]];
    tf.tidy(() => {
      const mu = tf.scalar(this.momentum);
      const minusLearningRate = tf.scalar(-learningRate);
      variables.forEach((value, i) => {
        const gradient = gradients[value.name];
        if (gradient === undefined) return;
        if (fusedMomentumUpdate(value, gradient, a[i]!, this.momentum, learningRate)) return;
        const accumulation = tf.add(tf.mul(mu, a[i]!), gradient);
        a[i]!.assign(accumulation);
        value.assign(tf.add(tf.mul(minusLearningRate, accumulation), value));
      });
    });
    this.step++;
  }

  getState(): OptimizerState {
    return { name: 'sgd', step: this.step, tensors: this.slots.named() };
  }

  setState(state: OptimizerState): void {
    checkName('sgd', state);
    this.slots.set(state.tensors);
    this.step = state.step;
  }

  dispose(): void {
    this.slots.dispose();
  }
}

/** Adam (default, as the paper: β1 0.9, β2 0.999) or SGD with momentum. */
export function createOptimizer(config: Pick<OptimizerConfig, 'name' | 'momentum'>): TrainingOptimizer {
  return config.name === 'adam' ? new Adam() : new Momentum(config.momentum);
}

/** The learning rate of `iteration` (0-based) under the configured schedule: a function of the iteration alone. */
export function learningRateAt(config: OptimizerConfig, iteration: number, iterations: number): number {
  const s = config.schedule;
  if (s.type === 'step') return config.learningRate * s.gamma ** Math.floor(iteration / s.stepSize);
  if (s.type === 'poly') return config.learningRate * (1 - iteration / iterations) ** s.power;
  return config.learningRate;
}
