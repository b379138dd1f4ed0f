import * as tf from '@tensorflow/tfjs';
import { OptionReader } from '../common/options.js';
import { type LossFunction, makeLoss } from './lossFunction.js';
import { prepareInputs } from './prepareInputs.js';
import { reduce } from './reduction.js';
import { readSharedOptions } from './sharedOptions.js';
import { crossEntropyPerImage } from './crossEntropy.js';
import { type DiceLossOptions, diceLossPerClass, diceOptionNames, resolveDiceOptions } from './dice.js';

export interface DiceCrossEntropyLossOptions extends DiceLossOptions {
  /** Weight of the Dice term. Default 1. */
  lambdaDice?: number;
  /** Weight of the cross-entropy term. Default 1. */
  lambdaCe?: number;
}

/**
 * Dice + cross-entropy (as nnU-Net and MONAI's DiceCELoss), per image:
 *
 *   L = lambdaDice · mean_l Dice_l + lambdaCe · CE
 *
 * Dice as `diceLoss` with the same options; CE the categorical cross-entropy from logits (softmax)
 * or the binary one averaged over channels (sigmoid). `includeBackground` applies to the Dice term
 * only, as in MONAI. `reduction: 'none'` gives `[B]` (`[]` with `batch`).
 */
export function diceCrossEntropyLoss(options: DiceCrossEntropyLossOptions = {}): LossFunction {
  const fn = 'diceCrossEntropyLoss';
  const check = new OptionReader(fn, options, [...diceOptionNames, 'lambdaDice', 'lambdaCe']);
  const shared = readSharedOptions(check);
  const dice = resolveDiceOptions(check);
  const lambdaDice = check.number('lambdaDice', 1, { min: 0 });
  const lambdaCe = check.number('lambdaCe', 1, { min: 0 });
  if (lambdaDice === 0 && lambdaCe === 0) throw new Error(`${fn}: lambdaDice and lambdaCe are both 0: the loss would be constant`);
  return makeLoss('dice-ce', { ...shared, ...dice, lambdaDice, lambdaCe }, (yTrue, yPred) =>
    tf.tidy(() => {
      const input = prepareInputs(fn, yTrue, yPred, shared.activation, shared.includeBackground);
      let diceTerm: tf.Tensor = tf.mean(diceLossPerClass(fn, input.probs, input.target, dice, shared.batch, shared.includeBackground ? 0 : 1), 1);
      if (shared.batch) diceTerm = tf.reshape(diceTerm, []);
      const ce = crossEntropyPerImage(input, {
        fromLogits: input.activation !== 'none',
        epsilon: 1e-7,
        gamma: 0,
        includeBackground: true,
        batch: shared.batch,
      });
      return reduce(tf.add(tf.mul(lambdaDice, diceTerm), tf.mul(lambdaCe, ce)), shared.reduction);
    }),
  );
}
