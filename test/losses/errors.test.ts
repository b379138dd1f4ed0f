import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  diceCrossEntropyLoss,
  diceLoss,
  focalLoss,
  generalizedDiceLoss,
  getLoss,
  sensitivitySpecificityLoss,
  tverskyLoss,
  twoClassDiceLoss,
  weightedCrossEntropyLoss,
} from '../../src/losses/index.js';

describe('options are validated when the loss is created', () => {
  it.each([
    [() => generalizedDiceLoss({ weightType: 'squared' as never }), /generalizedDiceLoss: weightType must be one of 'square', 'simple', 'uniform'; got 'squared' \(did you mean 'square'\?\)/],
    [() => generalizedDiceLoss({ emptyClassWeight: -1 }), /generalizedDiceLoss: emptyClassWeight must be a finite number >= 0; got -1/],
    [() => generalizedDiceLoss({ emptyClassWeight: 'maximum' as never }), /generalizedDiceLoss: emptyClassWeight must be one of 'max', 'zero'; got 'maximum'$/],
    [() => generalizedDiceLoss({ smoothNr: Number.NaN }), /generalizedDiceLoss: smoothNr must be a finite number >= 0; got NaN/],
    [() => generalizedDiceLoss({ weight_type: 'square' } as never), /generalizedDiceLoss: unknown option 'weight_type' \(did you mean 'weightType'\?\); known options: activation, includeBackground, reduction, batch, weightType, /],
    [() => diceLoss({ reduction: 'avg' as never }), /diceLoss: reduction must be one of 'mean', 'sum', 'none'; got 'avg'/],
    [() => diceLoss({ activation: 'softmx' as never }), /diceLoss: activation must be one of .*; got 'softmx' \(did you mean 'softmax'\?\)/],
    [() => diceLoss({ classWeights: [] }), /diceLoss: classWeights must be a list of at least 1 finite numbers >= 0; got \[\]/],
    [() => diceLoss({ squaredPred: 'yes' as never }), /diceLoss: squaredPred must be true or false; got 'yes'/],
    [() => tverskyLoss({ alpha: 0, beta: 0, smoothDr: 0 }), /tverskyLoss: alpha = beta = smoothDr = 0/],
    [() => twoClassDiceLoss({ includeBackground: false } as never), /twoClassDiceLoss: unknown option 'includeBackground'/],
    [() => sensitivitySpecificityLoss({ lambda: 1.5 }), /sensitivitySpecificityLoss: lambda must be a finite number in \[0, 1\]; got 1.5/],
    [() => sensitivitySpecificityLoss({ form: 'multi' as never }), /sensitivitySpecificityLoss: form must be one of 'binary', 'sum'/],
    [() => weightedCrossEntropyLoss({ activation: 'none', fromLogits: true }), /weightedCrossEntropyLoss: fromLogits: true conflicts with activation: 'none'/],
    [() => weightedCrossEntropyLoss({ weightFrom: 'pred' as never }), /weightedCrossEntropyLoss: weightFrom must be one of 'reference', 'prediction'/],
    [() => focalLoss({ gamma: -1 }), /focalLoss: gamma must be a finite number >= 0; got -1/],
    [() => focalLoss({ alpha: 2 }), /focalLoss: alpha must be a finite number in \[0, 1\]; got 2/],
    [() => diceCrossEntropyLoss({ lambdaDice: 0, lambdaCe: 0 }), /diceCrossEntropyLoss: lambdaDice and lambdaCe are both 0/],
    [() => getLoss('generalised-dice'), /getLoss: name must be one of 'gdl', 'dice', .*; got 'generalised-dice'$/],
    [() => getLoss('tversk'), /getLoss: name must be one of .*; got 'tversk' \(did you mean 'tversky'\?\)/],
  ])('%#: %s', (make, message) => {
    expect(make).toThrow(message);
  });
});

describe('bad tensors throw errors naming the loss and showing shapes or values', () => {
  const pred = () => tf.zeros([2, 4, 4, 3]);
  it.each([
    ['wrong rank', () => diceLoss()(tf.zeros([2, 4, 3]).reshape([2, 12, 1, 1, 1, 1]), tf.zeros([2, 12, 1, 1, 1, 3])), /diceLoss: yPred must have rank 3 to 5 .* got shape \[2, 12, 1, 1, 1, 3\]/],
    ['rank mismatch', () => diceLoss()(tf.zeros([2, 16, 3]), pred()), /diceLoss: yTrue and yPred must have the same rank, got yTrue \[2, 16, 3\] and yPred \[2, 4, 4, 3\]/],
    ['spatial mismatch', () => generalizedDiceLoss()(tf.zeros([2, 4, 5, 1]), pred()), /generalizedDiceLoss: yTrue and yPred differ in batch or spatial size, got yTrue \[2, 4, 5, 1\] and yPred \[2, 4, 4, 3\]/],
    ['channel mismatch', () => generalizedDiceLoss()(tf.zeros([2, 4, 4, 2]), pred()), /generalizedDiceLoss: yTrue must have yPred's shape \(one-hot\) or one channel \(label map\), got yTrue \[2, 4, 4, 2\]/],
    ['label out of range', () => generalizedDiceLoss()(tf.fill([2, 4, 4, 1], 3), pred()), /generalizedDiceLoss: label map yTrue \[2, 4, 4, 1\] must hold integers 0\.\.2 for 3 classes, got 3 at flat index 0/],
    ['negative label', () => diceLoss()(tf.fill([2, 4, 4, 1], -1, 'int32'), pred()), /diceLoss: label map .* got -1/],
    ['non-integer label', () => tverskyLoss()(tf.fill([2, 4, 4, 1], 0.5), pred()), /tverskyLoss: label map .* must hold integers 0\.\.2 for 3 classes, got 0\.5/],
    ['soft label above 1', () => diceLoss()(tf.fill([2, 4, 4, 3], 1.5), pred()), /diceLoss: yTrue \[2, 4, 4, 3\] must hold labels in \[0, 1\], got 1\.5/],
    ['empty batch', () => generalizedDiceLoss()(tf.zeros([0, 4, 4, 1]), tf.zeros([0, 4, 4, 3])), /^generalizedDiceLoss: yPred has an empty batch, shape \[0, 4, 4, 3\]; a loss needs at least one image$/],
    ['empty batch of a 3D loss', () => weightedCrossEntropyLoss()(tf.zeros([0, 2, 2, 2, 1]), tf.zeros([0, 2, 2, 2, 2])), /^weightedCrossEntropyLoss: yPred has an empty batch, shape \[0, 2, 2, 2, 2\]/],
    ['zero-size spatial axis', () => diceLoss()(tf.zeros([2, 0, 4, 1]), tf.zeros([2, 0, 4, 3])), /^diceLoss: yPred has a zero-size spatial axis \(axis 1\), shape \[2, 0, 4, 3\]; a loss needs at least one voxel and one channel$/],
    ['zero-size axis of DL2', () => twoClassDiceLoss()(tf.zeros([1, 4, 0, 1]), tf.zeros([1, 4, 0, 2])), /^twoClassDiceLoss: yPred has a zero-size spatial axis \(axis 2\)/],
    ['zero-size axis of SS', () => sensitivitySpecificityLoss()(tf.zeros([1, 0, 1]), tf.zeros([1, 0, 2])), /^sensitivitySpecificityLoss: yPred has a zero-size spatial axis \(axis 1\)/],
    ['no channel in yTrue', () => tverskyLoss()(tf.zeros([1, 4, 4, 0]), tf.zeros([1, 4, 4, 3])), /^tverskyLoss: yTrue has no channel, shape \[1, 4, 4, 0\]/],
    ['NaN in yPred', () => generalizedDiceLoss()(tf.zeros([2, 4, 4, 1]), tf.fill([2, 4, 4, 3], Number.NaN)), /generalizedDiceLoss: yPred holds NaN at flat index 0/],
    ['Inf in yPred', () => focalLoss()(tf.zeros([2, 4, 4, 1]), tf.fill([2, 4, 4, 3], Number.POSITIVE_INFINITY)), /focalLoss: yPred holds Infinity/],
    ['NaN in yTrue', () => diceLoss()(tf.fill([2, 4, 4, 3], Number.NaN), pred()), /diceLoss: yTrue .* must hold labels in \[0, 1\], got NaN/],
    ['softmax on one channel', () => diceLoss({ activation: 'softmax' })(tf.zeros([2, 4, 4, 1]), tf.zeros([2, 4, 4, 1])), /diceLoss: activation 'softmax' on a single-channel prediction \[2, 4, 4, 1\]/],
    ['no background on one channel', () => generalizedDiceLoss({ includeBackground: false })(tf.zeros([2, 4, 4, 1]), tf.zeros([2, 4, 4, 1])), /generalizedDiceLoss: includeBackground: false needs at least 2 channels/],
    ['DL2 on three classes', () => twoClassDiceLoss()(tf.zeros([2, 4, 4, 1]), pred()), /twoClassDiceLoss: DL2 is defined for one \(sigmoid\) or two \(softmax\) channels, got 3/],
    ['SS binary on three classes', () => sensitivitySpecificityLoss({ form: 'binary' })(tf.zeros([2, 4, 4, 1]), pred()), /sensitivitySpecificityLoss: form 'binary' needs one or two channels, got 3/],
    ['class weights of the wrong length', () => diceLoss({ classWeights: [1, 2, 3] , includeBackground: false})(tf.zeros([2, 4, 4, 1]), pred()), /diceLoss: classWeights has 3 entries but the loss keeps 2 classes/],
    ['focal alpha array with sigmoid', () => focalLoss({ alpha: [0.5, 0.5, 0.5], activation: 'sigmoid' })(tf.zeros([2, 4, 4, 3]), pred()), /focalLoss: a per-class alpha array needs the softmax form/],
    ['int32 yPred', () => diceLoss()(tf.zeros([2, 4, 4, 1]), tf.zeros([2, 4, 4, 3], 'int32')), /diceLoss: yPred must be float32, got int32/],
  ])('%s', (_name, call, message) => {
    expect(call).toThrow(message);
  });

  it('nothing broadcasts silently: a batch of 1 against a batch of 2 is refused', () => {
    expect(() => diceLoss()(tf.zeros([1, 4, 4, 1]), pred())).toThrow(/diceLoss: yTrue and yPred differ in batch or spatial size/);
  });

  it('label maps may be int32 or float tensors holding integers', () => {
    const labels = [0, 1, 2, 1, 0, 0, 2, 2];
    const p = tf.randomNormal([1, 2, 4, 3], 0, 1, 'float32', 3);
    const a = generalizedDiceLoss()(tf.tensor(labels, [1, 2, 4, 1], 'int32'), p).dataSync()[0]!;
    const b = generalizedDiceLoss()(tf.tensor(labels, [1, 2, 4, 1], 'float32'), p).dataSync()[0]!;
    const oneHot = tf.oneHot(tf.tensor1d(labels, 'int32'), 3).reshape([1, 2, 4, 3]).toFloat();
    const c = generalizedDiceLoss()(oneHot, p).dataSync()[0]!;
    expect(a).toBe(b);
    expect(a).toBeCloseTo(c, 6);
  });
});
