import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { diceLoss, generalizedDiceLoss, tverskyLoss } from '../../src/losses/index.js';
import type { LossFunction } from '../../src/losses/index.js';
import { channelsLast } from './helpers.js';

// Cases from MONAI 1.5's own tests (tests/losses/test_{dice,generalized_dice,tversky}_loss.py),
// translated to gendice's options and channels-last layout: sigmoid/softmax -> activation,
// to_onehot_y -> a one-channel label map, w_type -> weightType, weight -> classWeights.
// Cases using MONAI's `other_act` (arbitrary activations) have no gendice equivalent.
const sigmoidIn = [[[[1.0, -1.0], [-1.0, 1.0]]]];
const twoImagesIn = [[[[1.0, -1.0], [-1.0, 1.0]]], [[[1.0, -1.0], [-1.0, 1.0]]]];
const twoImagesRef = [[[[1.0, 1.0], [1.0, 1.0]]], [[[1.0, 0.0], [1.0, 0.0]]]];
const softIn = [[[[0.3, 0.4], [0.7, 0.9]]], [[[1.0, 0.1], [0.5, 0.3]]]];
const hardIn = [[[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]], [[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]];
const hardRef = [[[0.0, 0.0, 1.0]], [[0.0, 1.0, 0.0]]];
const logitsIn = [[[-1.0, 0.0, 1.0], [1.0, 0.0, -1.0]], [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]];
const logitsRef = [[[1.0, 0.0, 0.0]], [[1.0, 1.0, 0.0]]];

type Case = [string, () => LossFunction, unknown, unknown, number | number[]];

const cases: Case[] = [
  ['dice sigmoid', () => diceLoss({ activation: 'sigmoid', smoothNr: 1e-6, smoothDr: 1e-6 }), sigmoidIn, [[[[1.0, 0.0], [1.0, 1.0]]]], 0.307576],
  ['dice sigmoid B=2', () => diceLoss({ activation: 'sigmoid', smoothNr: 1e-4, smoothDr: 1e-4 }), twoImagesIn, twoImagesRef, 0.416657],
  ['dice soft labels', () => diceLoss({ activation: 'none', smoothNr: 1e-4, smoothDr: 1e-4, softLabel: true }), softIn, softIn, 0.0],
  ['dice soft inputs, hard formula', () => diceLoss({ activation: 'none', smoothNr: 1e-4, smoothDr: 1e-4 }), softIn, softIn, 0.307773],
  ['dice no background', () => diceLoss({ activation: 'none', includeBackground: false, smoothNr: 0, smoothDr: 0 }), hardIn, hardRef, 0.0],
  ['dice sigmoid label map', () => diceLoss({ activation: 'sigmoid', smoothNr: 1e-4, smoothDr: 1e-4 }), logitsIn, logitsRef, 0.43505],
  ['dice sigmoid none', () => diceLoss({ activation: 'sigmoid', reduction: 'none', smoothNr: 1e-4, smoothDr: 1e-4 }), logitsIn, logitsRef, [0.296529, 0.415136, 0.599976, 0.428559]],
  ['dice softmax', () => diceLoss({ activation: 'softmax', smoothNr: 1e-4, smoothDr: 1e-4 }), logitsIn, logitsRef, 0.383713],
  ['dice softmax sum', () => diceLoss({ activation: 'softmax', reduction: 'sum', smoothNr: 1e-4, smoothDr: 1e-4 }), logitsIn, logitsRef, 1.534853],
  ['dice squared', () => diceLoss({ activation: 'sigmoid', squaredPred: true }), sigmoidIn, [[[[1.0, 0.0], [1.0, 1.0]]]], 0.178337],
  ['dice jaccard', () => diceLoss({ activation: 'sigmoid', jaccard: true }), sigmoidIn, [[[[1.0, 0.0], [1.0, 1.0]]]], 0.470451],
  ['gdl sigmoid', () => generalizedDiceLoss({ activation: 'sigmoid', smoothNr: 1e-6, smoothDr: 1e-6 }), sigmoidIn, [[[[1.0, 0.0], [1.0, 1.0]]]], 0.307576],
  ['gdl sigmoid B=2', () => generalizedDiceLoss({ activation: 'sigmoid', smoothNr: 1e-4, smoothDr: 1e-4 }), twoImagesIn, twoImagesRef, 0.416597],
  ['gdl soft labels', () => generalizedDiceLoss({ activation: 'none', smoothNr: 1e-4, smoothDr: 1e-4, softLabel: true }), softIn, softIn, 0.0],
  ['gdl soft inputs, hard formula', () => generalizedDiceLoss({ activation: 'none', smoothNr: 1e-4, smoothDr: 1e-4 }), softIn, softIn, 0.307748],
  ['gdl no background', () => generalizedDiceLoss({ activation: 'none', includeBackground: false, smoothNr: 0, smoothDr: 0 }), hardIn, hardRef, 0.0],
  ['gdl sigmoid label map', () => generalizedDiceLoss({ activation: 'sigmoid', smoothNr: 1e-4, smoothDr: 1e-4 }), logitsIn, logitsRef, 0.469964],
  ['gdl softmax', () => generalizedDiceLoss({ activation: 'softmax', smoothNr: 1e-4, smoothDr: 1e-4 }), logitsIn, logitsRef, 0.414507],
  ['gdl softmax sum', () => generalizedDiceLoss({ activation: 'softmax', reduction: 'sum', smoothNr: 1e-4, smoothDr: 1e-4 }), logitsIn, logitsRef, 0.829015],
  ['gdl softmax none', () => generalizedDiceLoss({ activation: 'softmax', reduction: 'none', smoothNr: 1e-4, smoothDr: 1e-4 }), logitsIn, logitsRef, [0.273476, 0.555539]],
  ['gdl all-empty reference without background', () => generalizedDiceLoss({ activation: 'none', includeBackground: false, smoothNr: 1e-8, smoothDr: 1e-8 }), hardIn, [[[0.0, 0.0, 0.0]], [[0.0, 0.0, 0.0]]], 0.0],
  ['gdl simple weights', () => generalizedDiceLoss({ activation: 'softmax', weightType: 'simple', smoothNr: 0, smoothDr: 0 }), [[[0.0, 10.0, 10.0, 10.0], [10.0, 0.0, 0.0, 0.0]]], [[[1, 1, 0, 0]]], 0.250023],
  ['tversky sigmoid', () => tverskyLoss({ activation: 'sigmoid', smoothNr: 1e-6, smoothDr: 1e-6 }), sigmoidIn, [[[[1.0, 0.0], [1.0, 1.0]]]], 0.307576],
  ['tversky sigmoid B=2', () => tverskyLoss({ activation: 'sigmoid', smoothNr: 1e-4, smoothDr: 1e-4 }), twoImagesIn, twoImagesRef, 0.416657],
  ['tversky soft labels', () => tverskyLoss({ activation: 'none', smoothNr: 1e-4, smoothDr: 1e-4, softLabel: true }), softIn, softIn, 0.0],
  ['tversky soft inputs, hard formula', () => tverskyLoss({ activation: 'none', smoothNr: 1e-4, smoothDr: 1e-4 }), softIn, softIn, 0.307773],
  ['tversky no background', () => tverskyLoss({ activation: 'none', includeBackground: false, smoothNr: 0, smoothDr: 0 }), hardIn, hardRef, 0.0],
  ['tversky smoothDr only', () => tverskyLoss({ activation: 'none', includeBackground: false, smoothNr: 0, smoothDr: 1e-3 }), hardIn, hardRef, 0.000999],
  ['tversky sigmoid label map', () => tverskyLoss({ activation: 'sigmoid', smoothNr: 1e-4, smoothDr: 1e-4 }), logitsIn, logitsRef, 0.43505],
  ['tversky batch', () => tverskyLoss({ activation: 'sigmoid', batch: true }), logitsIn, logitsRef, 0.422979],
  ['tversky sum', () => tverskyLoss({ activation: 'sigmoid', reduction: 'sum', smoothNr: 1e-4, smoothDr: 1e-4 }), logitsIn, logitsRef, 1.74013],
  ['tversky softmax', () => tverskyLoss({ activation: 'softmax', smoothNr: 1e-4, smoothDr: 1e-4 }), logitsIn, logitsRef, 0.383713],
  ['tversky softmax none', () => tverskyLoss({ activation: 'softmax', reduction: 'none', smoothNr: 1e-4, smoothDr: 1e-4 }), logitsIn, logitsRef, [0.210961, 0.295339, 0.599952, 0.428547]],
  ['tversky alpha 0.3', () => tverskyLoss({ activation: 'sigmoid', alpha: 0.3, beta: 0.7, smoothNr: 1e-6, smoothDr: 1e-6 }), sigmoidIn, [[[[1.0, 0.0], [1.0, 1.0]]]], 0.3589],
  ['tversky alpha 0.7', () => tverskyLoss({ activation: 'sigmoid', alpha: 0.7, beta: 0.3, smoothNr: 1e-6, smoothDr: 1e-6 }), sigmoidIn, [[[[1.0, 0.0], [1.0, 1.0]]]], 0.247366],
];

describe('MONAI 1.5 test cases', () => {
  it.each(cases)('%s', (_name, make, input, target, expected) => {
    const yPred = channelsLast(input);
    const yTrue = channelsLast(target);
    const out = make()(yTrue, yPred);
    const got = Array.from(out.dataSync());
    const want = Array.isArray(expected) ? expected : [expected];
    expect(got.length).toBe(want.length);
    got.forEach((g, i) => expect(Math.abs(g - want[i]!)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(want[i]!)) + 2e-6));
    tf.dispose([yPred, yTrue, out]);
  });
});
