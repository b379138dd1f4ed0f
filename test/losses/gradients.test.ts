import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { getLoss } from '../../src/losses/index.js';
import { randomCase } from './helpers.js';
import * as ref from './reference.js';

// Each loss's TF.js gradient (float32 autodiff, including the fused kernels' hand-written
// gradients) against central finite differences of the independent float64 reference.
type Case = [string, Record<string, unknown>, number, boolean, (i: ref.RefInput, s: ref.RefShared) => number[]];
const d = { squaredPred: false, jaccard: false, smoothNr: 1e-5, smoothDr: 1e-5, softLabel: false };
const cases: Case[] = [
  ['gdl', {}, 3, false, (i, s) => ref.gdlRef(i, { ...s, weightType: 'square', emptyClassWeight: 'max', smoothNr: 1e-5, smoothDr: 1e-5, softLabel: false })],
  ['gdl', { softLabel: true, weightType: 'simple' }, 3, true, (i, s) => ref.gdlRef(i, { ...s, weightType: 'simple', emptyClassWeight: 'max', smoothNr: 1e-5, smoothDr: 1e-5, softLabel: true })],
  ['gdl', { batch: true, includeBackground: false }, 3, false, (i, s) => ref.gdlRef(i, { ...s, weightType: 'square', emptyClassWeight: 'max', smoothNr: 1e-5, smoothDr: 1e-5, softLabel: false })],
  ['dice', {}, 3, false, (i, s) => ref.diceRef(i, { ...s, ...d })],
  ['dice', { squaredPred: true }, 3, false, (i, s) => ref.diceRef(i, { ...s, ...d, squaredPred: true })],
  ['dice', { jaccard: true, softLabel: true }, 3, true, (i, s) => ref.diceRef(i, { ...s, ...d, jaccard: true, softLabel: true })],
  ['tversky', { alpha: 0.2, beta: 0.8 }, 3, false, (i, s) => ref.tverskyRef(i, { ...s, alpha: 0.2, beta: 0.8, smoothNr: 1e-5, smoothDr: 1e-5, softLabel: false })],
  ['dl2', {}, 2, false, (i, s) => ref.dl2Ref(i, { ...s, epsilon: 1e-5 })],
  ['dl2', {}, 1, false, (i, s) => ref.dl2Ref(i, { ...s, epsilon: 1e-5 })],
  ['ss', {}, 2, false, (i, s) => ref.ssRef(i, { ...s, lambda: 0.05, epsilon: 1e-5, form: 'binary' })],
  ['ss', { form: 'sum' }, 3, false, (i, s) => ref.ssRef(i, { ...s, lambda: 0.05, epsilon: 1e-5, form: 'sum' })],
  ['wce', {}, 3, false, (i, s) => ref.wceRef(i, { ...s, weightFrom: 'reference', epsilon: 1e-7, fromLogits: true })],
  ['wce', { activation: 'sigmoid' }, 1, false, (i, s) => ref.wceRef(i, { ...s, weightFrom: 'reference', epsilon: 1e-7, fromLogits: true })],
  ['focal', { alpha: 0.25 }, 3, false, (i, s) => ref.focalRef(i, { ...s, gamma: 2, alpha: 0.25, epsilon: 1e-7, fromLogits: true })],
  ['focal', { activation: 'sigmoid', gamma: 1 }, 2, false, (i, s) => ref.focalRef(i, { ...s, gamma: 1, epsilon: 1e-7, fromLogits: true })],
  ['dice-ce', {}, 3, false, (i, s) => ref.diceCeRef(i, { ...s, ...d, lambdaDice: 1, lambdaCe: 1 })],
];

// Note: WCE with weightFrom 'prediction' is excluded on purpose: its weight is a constant for the
// gradient (stop-gradient), so autodiff and finite differences of the full formula differ by design.
describe('gradients against finite differences of the float64 reference', () => {
  it.each(cases)('%s %j (C = %i)', (name, options, C, soft, reference) => {
    const shape = [2, 3, 2, C];
    const { yPred, yTrue, ref: input } = randomCase(77 + C, shape, { soft, scale: 1 });
    const activation = (options.activation as ref.RefActivation | undefined) ?? (C > 1 ? 'softmax' : 'sigmoid');
    const shared: ref.RefShared = {
      activation,
      includeBackground: (options.includeBackground as boolean | undefined) ?? true,
      reduction: 'mean',
      batch: (options.batch as boolean | undefined) ?? false,
    };
    const loss = getLoss(name, options);
    const g = tf.grad((x: tf.Tensor) => loss(yTrue, x))(yPred).dataSync();
    const h = 1e-5;
    for (let k = 0; k < input.logits.length; k++) {
      const plus = Float64Array.from(input.logits);
      const minus = Float64Array.from(input.logits);
      plus[k] = plus[k]! + h;
      minus[k] = minus[k]! - h;
      const fd = (reference({ ...input, logits: plus }, shared)[0]! - reference({ ...input, logits: minus }, shared)[0]!) / (2 * h);
      expect(Math.abs(g[k]! - fd)).toBeLessThanOrEqual(2e-4 + 2e-3 * Math.abs(fd));
    }
    tf.dispose([yPred, yTrue]);
  });
});
