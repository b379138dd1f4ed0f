import { didYouMean } from '../common/didYouMean.js';
import type { LossFunction } from './common.js';
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
export interface LossOptionsByName {
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

export type LossName = keyof LossOptionsByName;

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

/** The registered loss names: gdl, dice, dl2, wce, ss, tversky, focal, dice-ce, gwdl. */
export const lossNames = Object.keys(factories) as LossName[];

/** The paper's four losses, in the paper's order. */
export const paperLossNames: readonly LossName[] = ['wce', 'dl2', 'ss', 'gdl'];

/** A loss by registry name; an unknown name throws with the closest valid one. */
export function getLoss<K extends LossName>(name: K, options?: LossOptionsByName[K]): LossFunction;
export function getLoss(name: string, options?: object): LossFunction;
export function getLoss(name: string, options?: object): LossFunction {
  if (!(name in factories)) throw new Error(`getLoss: unknown loss '${name}'${didYouMean(name, lossNames)}`);
  return (factories[name as LossName] as (o?: object) => LossFunction)(options);
}
