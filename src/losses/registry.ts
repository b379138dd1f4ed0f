import { oneOf } from '../common/options.js';
import type { LossFunction } from './lossFunction.js';
import { diceLoss, type DiceLossOptions } from './dice.js';
import { diceCrossEntropyLoss, type DiceCrossEntropyLossOptions } from './diceCrossEntropy.js';
import { focalLoss, type FocalLossOptions } from './focal.js';
import { generalizedDiceLoss, type GeneralizedDiceLossOptions } from './generalizedDice.js';
import { sensitivitySpecificityLoss, type SensitivitySpecificityLossOptions } from './sensitivitySpecificity.js';
import { tverskyLoss, type TverskyLossOptions } from './tversky.js';
import { twoClassDiceLoss, type TwoClassDiceLossOptions } from './twoClassDice.js';
import { generalizedWassersteinDiceLoss, type GeneralizedWassersteinDiceLossOptions } from './wassersteinDice.js';
import { weightedCrossEntropyLoss, type WeightedCrossEntropyLossOptions } from './weightedCrossEntropy.js';

/** Options of each registered loss, by registry name. */
export interface LossOptionsByName extends Record<LossName, object> {
  gdl: GeneralizedDiceLossOptions;
  dice: DiceLossOptions;
  dl2: TwoClassDiceLossOptions;
  wce: WeightedCrossEntropyLossOptions;
  ss: SensitivitySpecificityLossOptions;
  tversky: TverskyLossOptions;
  focal: FocalLossOptions;
  'dice-ce': DiceCrossEntropyLossOptions;
  gwdl: GeneralizedWassersteinDiceLossOptions;
}

/** The registered loss names (the vocabulary of config files, studies and flags). */
export const LOSS_NAMES = ['gdl', 'dice', 'dl2', 'wce', 'ss', 'tversky', 'focal', 'dice-ce', 'gwdl'] as const;
export type LossName = (typeof LOSS_NAMES)[number];

const factories: { [K in LossName]: (options?: LossOptionsByName[K]) => LossFunction } = {
  gdl: generalizedDiceLoss,
  dice: diceLoss,
  dl2: twoClassDiceLoss,
  wce: weightedCrossEntropyLoss,
  ss: sensitivitySpecificityLoss,
  tversky: tverskyLoss,
  focal: focalLoss,
  'dice-ce': diceCrossEntropyLoss,
  gwdl: generalizedWassersteinDiceLoss,
};

/** The paper's four losses, in the paper's order. */
export const PAPER_LOSS_NAMES = ['wce', 'dl2', 'ss', 'gdl'] as const satisfies readonly LossName[];

/** A loss by registry name; an unknown name throws with the closest valid one. */
export function getLoss<K extends LossName>(name: K, options?: LossOptionsByName[K]): LossFunction;
export function getLoss(name: string, options?: object): LossFunction;
export function getLoss(name: string, options?: object): LossFunction {
  const loss = oneOf('getLoss', 'name', name, LOSS_NAMES);
  return (factories[loss] as (o?: object) => LossFunction)(options);
}

/**
 * Checks a loss's options without computing anything: the loss is created (which checks every
 * option and their clashes, as each loss does when built) and dropped; creating a loss builds no
 * tensor. Throws the loss's own `OptionError` (`generalizedDiceLoss: weightType must be one of ...`).
 */
export function checkLossOptions(name: string, options?: object): void {
  getLoss(name, options);
}
