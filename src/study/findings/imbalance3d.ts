import type { FindingDefinition, Measurement } from './finding.js';
import { formatDice, meanOf, overSeeds } from './interval.js';
import { patchLabel, type PatchSize } from './patchSize.js';
import type { ScoreTable } from './scoreTable.js';
import type { StudyLoss } from './studyLoss.js';
import { missing } from './verdict.js';

/** A 3D network at its most imbalanced patch size. */
interface Target {
  network: string;
  patch: PatchSize;
  fraction: number;
}

/**
 * Per seed, over the targets and the learning rates `rates` picks: the mean of s(loss), or of
 * s(minus) - s(loss) when `minus` is given. Undefined when a loss is missing or nothing ran.
 */
function averageAt(table: ScoreTable, targets: readonly Target[], loss: StudyLoss | undefined, seed: number, rates: (network: string) => number[], minus?: StudyLoss): number | undefined {
  if (loss === undefined) return undefined;
  const v: number[] = [];
  for (const { network, patch } of targets) {
    for (const learningRate of rates(network)) {
      const a = table.score({ network, loss, learningRate, patch, seed });
      const b = minus === undefined ? 0 : table.score({ network, loss: minus, learningRate, patch, seed });
      if (a !== undefined && b !== undefined) v.push(minus === undefined ? a : b - a);
    }
  }
  return meanOf(v);
}

const CLAIMS = ['WCE fails to train', 'SS drops clearly below GDL_v', 'DL2 matches GDL_v at the lowest learning rate', 'DL2 fails at the highest learning rate'] as const;

/** Finding 5: in 3D at higher imbalance, WCE fails; SS drops below GDL_v; DL2 matches GDL_v at low rates only. */
export const imbalance3d: FindingDefinition = {
  id: 5,
  statement: '3D, higher imbalance: WCE fails to train; SS drops clearly below GDL_v; DL2 matches GDL_v at low learning rates but fails at higher ones.',
  measure:
    "In 3D, at each network's most imbalanced patch size (lowest median foreground fraction): s(WCE) averaged over learning rates and networks below failDice; " +
    's(GDL) - s(SS) above 0; at the lowest learning rate |s(GDL) - s(DL2)| within ±matchTolerance; at the highest, s(GDL) - s(DL2) above matchTolerance.',
  compute({ table, judge, failDice, matchTolerance: tol }): Measurement {
    const nets = table.networks(3);
    const targets = nets.flatMap((network): Target[] => {
      const worst = table.mostImbalancedPatch(network);
      return worst === undefined ? [] : [{ network, ...worst }];
    });
    if (targets.length === 0) {
      const why = nets.length === 0 ? 'no 3D trials' : 'no foreground fractions recorded for the 3D trials';
      return { parts: CLAIMS.map((c) => missing(c, why)), evidence: [], measured: `not measurable: ${why}.` };
    }
    const gdl = table.paperLoss('gdl');
    const all = (network: string): number[] => table.learningRates(network);
    const lowest = (network: string): number[] => table.learningRates(network).slice(0, 1);
    const highest = (network: string): number[] => table.learningRates(network).slice(-1);
    const wce = table.paperLoss('wce');
    const ss = table.paperLoss('ss');
    const dl2 = table.paperLoss('dl2');
    const eWce = overSeeds(table.seeds, 's(WCE)', (seed) => averageAt(table, targets, wce, seed, all));
    const eSs = overSeeds(table.seeds, 's(GDL) - s(SS)', (seed) => (gdl === undefined ? undefined : averageAt(table, targets, ss, seed, all, gdl)));
    const eLow = overSeeds(table.seeds, 's(GDL) - s(DL2), lowest rate', (seed) => (gdl === undefined ? undefined : averageAt(table, targets, dl2, seed, lowest, gdl)));
    const eHigh = overSeeds(table.seeds, 's(GDL) - s(DL2), highest rate', (seed) => (gdl === undefined ? undefined : averageAt(table, targets, dl2, seed, highest, gdl)));
    const parts = [
      judge(eWce, CLAIMS[0], { kind: 'below', threshold: failDice }),
      judge(eSs, CLAIMS[1], { kind: 'above', threshold: 0 }),
      judge(eLow, CLAIMS[2], { kind: 'within', tolerance: tol }),
      judge(eHigh, CLAIMS[3], { kind: 'above', threshold: tol }),
    ];
    const where = targets.map((t) => `${t.network} ${patchLabel(t.patch)} (${(t.fraction * 100).toPrecision(2)}% foreground)`).join(', ');
    const measured =
      `At the most imbalanced patches (${where}): WCE scores ${formatDice(eWce.mean)}; GDL_v beats SS by ${formatDice(eSs.mean)}; ` +
      `GDL_v minus DL2 is ${formatDice(eLow.mean)} at the lowest rate and ${formatDice(eHigh.mean)} at the highest.`;
    return { parts, evidence: [eWce, eSs, eLow, eHigh], measured };
  },
};
