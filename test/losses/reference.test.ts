import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { getLoss } from '../../src/losses/index.js';
import { maxRelativeError, randomCase } from './helpers.js';
import * as ref from './reference.js';

// Every loss against the independent float64 reference, on random multi-class 2D and 3D inputs,
// for every reduction and both batch modes.
const reductions = ['mean', 'sum', 'none'] as const;
const batchModes = [false, true];
const shapes: Array<[string, number[]]> = [
  ['2D', [3, 7, 5, 3]],
  ['3D', [2, 4, 5, 3, 3]],
];

type Runner = {
  name: string;
  options: Record<string, unknown>;
  reference: (input: ref.RefInput, shared: ref.RefShared) => number[];
  channels?: number;
  soft?: boolean;
};

const dice = { squaredPred: false, jaccard: false, smoothNr: 1e-5, smoothDr: 1e-5, softLabel: false };
const runners: Runner[] = [
  { name: 'gdl', options: {}, reference: (i, s) => ref.gdlRef(i, { ...s, weightType: 'square', emptyClassWeight: 'max', smoothNr: 1e-5, smoothDr: 1e-5, softLabel: false }) },
  { name: 'gdl', options: { weightType: 'simple', emptyClassWeight: 'zero', includeBackground: false }, reference: (i, s) => ref.gdlRef(i, { ...s, weightType: 'simple', emptyClassWeight: 'zero', smoothNr: 1e-5, smoothDr: 1e-5, softLabel: false }) },
  { name: 'gdl', options: { weightType: 'uniform', softLabel: true, smoothNr: 0.01 }, soft: true, reference: (i, s) => ref.gdlRef(i, { ...s, weightType: 'uniform', emptyClassWeight: 'max', smoothNr: 0.01, smoothDr: 1e-5, softLabel: true }) },
  { name: 'gdl', options: { emptyClassWeight: 0.5, activation: 'sigmoid' }, reference: (i, s) => ref.gdlRef(i, { ...s, weightType: 'square', emptyClassWeight: 0.5, smoothNr: 1e-5, smoothDr: 1e-5, softLabel: false }) },
  { name: 'dice', options: {}, reference: (i, s) => ref.diceRef(i, { ...s, ...dice }) },
  { name: 'dice', options: { squaredPred: true, includeBackground: false, classWeights: [0.3, 2] }, reference: (i, s) => ref.diceRef(i, { ...s, ...dice, squaredPred: true, classWeights: [0.3, 2] }) },
  { name: 'dice', options: { jaccard: true, softLabel: true }, soft: true, reference: (i, s) => ref.diceRef(i, { ...s, ...dice, jaccard: true, softLabel: true }) },
  { name: 'tversky', options: { alpha: 0.3, beta: 0.7 }, reference: (i, s) => ref.tverskyRef(i, { ...s, alpha: 0.3, beta: 0.7, smoothNr: 1e-5, smoothDr: 1e-5, softLabel: false }) },
  { name: 'tversky', options: { alpha: 0.8, beta: 0.2, softLabel: true }, soft: true, reference: (i, s) => ref.tverskyRef(i, { ...s, alpha: 0.8, beta: 0.2, smoothNr: 1e-5, smoothDr: 1e-5, softLabel: true }) },
  { name: 'dl2', options: {}, channels: 2, reference: (i, s) => ref.dl2Ref(i, { ...s, epsilon: 1e-5 }) },
  { name: 'dl2', options: { epsilon: 0.1 }, channels: 1, reference: (i, s) => ref.dl2Ref(i, { ...s, epsilon: 0.1 }) },
  { name: 'ss', options: {}, channels: 2, reference: (i, s) => ref.ssRef(i, { ...s, lambda: 0.05, epsilon: 1e-5, form: 'binary' }) },
  { name: 'ss', options: { lambda: 0.3 }, reference: (i, s) => ref.ssRef(i, { ...s, lambda: 0.3, epsilon: 1e-5, form: 'sum' }) },
  { name: 'ss', options: { form: 'sum', includeBackground: false }, reference: (i, s) => ref.ssRef(i, { ...s, lambda: 0.05, epsilon: 1e-5, form: 'sum' }) },
  { name: 'wce', options: {}, reference: (i, s) => ref.wceRef(i, { ...s, weightFrom: 'reference', epsilon: 1e-7, fromLogits: true }) },
  { name: 'wce', options: { weightFrom: 'prediction', fromLogits: false }, reference: (i, s) => ref.wceRef(i, { ...s, weightFrom: 'prediction', epsilon: 1e-7, fromLogits: false }) },
  { name: 'wce', options: { activation: 'sigmoid' }, channels: 1, reference: (i, s) => ref.wceRef(i, { ...s, weightFrom: 'reference', epsilon: 1e-7, fromLogits: true }) },
  { name: 'wce', options: { includeBackground: false }, reference: (i, s) => ref.wceRef(i, { ...s, weightFrom: 'reference', epsilon: 1e-7, fromLogits: true }) },
  { name: 'focal', options: {}, reference: (i, s) => ref.focalRef(i, { ...s, gamma: 2, epsilon: 1e-7, fromLogits: true }) },
  { name: 'focal', options: { gamma: 1.5, alpha: 0.25, activation: 'sigmoid' }, reference: (i, s) => ref.focalRef(i, { ...s, gamma: 1.5, alpha: 0.25, epsilon: 1e-7, fromLogits: true }) },
  { name: 'focal', options: { gamma: 0.5, alpha: [0.2, 0.5, 0.3], fromLogits: false }, reference: (i, s) => ref.focalRef(i, { ...s, gamma: 0.5, alpha: [0.2, 0.5, 0.3], epsilon: 1e-7, fromLogits: false }) },
  { name: 'dice-ce', options: {}, reference: (i, s) => ref.diceCeRef(i, { ...s, ...dice, lambdaDice: 1, lambdaCe: 1 }) },
  { name: 'dice-ce', options: { lambdaDice: 0.7, lambdaCe: 0.3, includeBackground: false, activation: 'sigmoid' }, reference: (i, s) => ref.diceCeRef(i, { ...s, ...dice, lambdaDice: 0.7, lambdaCe: 0.3 }) },
];

describe.each(shapes)('%s inputs against the float64 reference', (_dims, baseShape) => {
  runners.forEach((runner, index) => {
    describe(`${runner.name} ${JSON.stringify(runner.options)}`, () => {
      for (const reduction of reductions)
        for (const batch of batchModes) {
          it(`reduction ${reduction}, batch ${batch}`, () => {
            const shape = [...baseShape.slice(0, -1), runner.channels ?? baseShape[baseShape.length - 1]!];
            const C = shape[shape.length - 1]!;
            const { yPred, yTrue, ref: input } = randomCase(1000 + index * 7 + (batch ? 1 : 0), shape, {
              soft: runner.soft ?? false,
              labelMap: index % 2 === 0,
              absentClassInImage: C > 2 ? 2 : undefined,
            });
            const options = { ...runner.options, reduction, batch };
            const activation = (runner.options.activation as ref.RefActivation | undefined) ?? (C > 1 ? 'softmax' : 'sigmoid');
            const loss = getLoss(runner.name, options);
            const out = loss(yTrue, yPred);
            const expected = runner.reference(input, {
              activation,
              includeBackground: (runner.options.includeBackground as boolean | undefined) ?? true,
              reduction,
              batch,
            });
            expect(out.size).toBe(expected.length);
            expect(maxRelativeError(out.dataSync(), expected, 1e-4)).toBeLessThan(2e-4);
            tf.dispose([yPred, yTrue, out]);
          });
        }
    });
  });
});
