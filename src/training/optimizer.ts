import * as tf from '@tensorflow/tfjs';
import type { TrainingConfig } from './config.js';

type OptimizerConfig = TrainingConfig['optimizer'];

/** Adam (default, as the paper) or SGD with momentum, at the configured initial learning rate. */
export function createOptimizer(config: OptimizerConfig): tf.Optimizer {
  return config.name === 'adam' ? tf.train.adam(config.learningRate) : tf.train.momentum(config.learningRate, config.momentum);
}

/** The learning rate of `iteration` (0-based) under the configured schedule. */
export function learningRateAt(config: OptimizerConfig, iteration: number, iterations: number): number {
  const s = config.schedule;
  if (s.type === 'step') return config.learningRate * s.gamma ** Math.floor(iteration / s.stepSize);
  if (s.type === 'poly') return config.learningRate * (1 - iteration / iterations) ** s.power;
  return config.learningRate;
}

/** Sets an optimizer's learning rate in place (TF.js optimizers read it at every step). */
export function setLearningRate(optimizer: tf.Optimizer, learningRate: number): void {
  const o = optimizer as unknown as { learningRate: number; setLearningRate?: (lr: number) => void };
  if (typeof o.setLearningRate === 'function') o.setLearningRate(learningRate);
  else o.learningRate = learningRate;
}

/** Releases an optimizer's tensors (TF.js's momentum optimizer forgets its learning-rate scalar). */
export function disposeOptimizer(optimizer: tf.Optimizer): void {
  optimizer.dispose();
  const c = (optimizer as unknown as { c?: tf.Tensor }).c;
  if (c instanceof tf.Tensor && !c.isDisposed) c.dispose();
}
