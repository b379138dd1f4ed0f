import type { FindingDefinition, Measurement } from './finding.js';
import { formatDice, meanOf, overSeeds } from './interval.js';
import type { ScoreTable } from './scoreTable.js';
import { lossTitle, sameLoss, type StudyLoss } from './studyLoss.js';
import { missing } from './verdict.js';

interface SeedSpreads {
  /** Per loss: spread of the score over learning rates (max - min), averaged over the cells. */
  spread: Map<StudyLoss, number>;
  /** Per loss: best score over learning rates, averaged over the cells. */
  best: Map<StudyLoss, number>;
}

/** One seed's spreads and best scores, over the (network, patch) cells in which every loss ran every rate. */
function seedSpreads(table: ScoreTable, losses: readonly StudyLoss[], seed: number): SeedSpreads | undefined {
  const spread = new Map<StudyLoss, number[]>();
  const best = new Map<StudyLoss, number[]>();
  for (const network of table.networks()) {
    const rates = table.learningRates(network);
    for (const patch of table.patches(network)) {
      const row = new Map<StudyLoss, number[]>();
      for (const loss of losses) {
        const s = rates.map((learningRate) => table.score({ network, loss, learningRate, patch, seed }));
        if (s.some((v) => v === undefined) || s.length < 2) break;
        row.set(loss, s as number[]);
      }
      if (row.size !== losses.length) continue;
      for (const [loss, s] of row) {
        (spread.get(loss) ?? spread.set(loss, []).get(loss)!).push(Math.max(...s) - Math.min(...s));
        (best.get(loss) ?? best.set(loss, []).get(loss)!).push(Math.max(...s));
      }
    }
  }
  if (spread.size === 0) return undefined;
  return {
    spread: new Map([...spread].map(([l, v]) => [l, meanOf(v)!])),
    best: new Map([...best].map(([l, v]) => [l, meanOf(v)!])),
  };
}

const range = (m: Map<StudyLoss, number>): number => Math.max(...m.values()) - Math.min(...m.values());

/** Finding 1: the losses differ mostly in their robustness to the learning rate; GDL_v is the most robust. */
export const robustness: FindingDefinition = {
  id: 1,
  statement: 'The losses differ mostly in their robustness to the learning rate; GDL_v is the most robust.',
  measure:
    'Robustness = spread of s over the learning rates (max - min) per network, patch size and loss, averaged over networks and patch sizes. ' +
    'Holds when, for every other loss, spread(loss) - spread(GDL) is above 0, and when the losses differ more in spread than in their best score ' +
    '(range over losses of the spread minus range over losses of the best s over learning rates, above 0).',
  compute({ table, judge }): Measurement {
    const gdl = table.paperLoss('gdl');
    const losses = table.losses();
    if (gdl === undefined || losses.length < 2 || table.learningRates().length < 2) {
      const why = gdl === undefined ? 'no GDL trials' : losses.length < 2 ? 'fewer than two losses' : 'fewer than two learning rates';
      return { parts: [missing('GDL_v is the most robust', why)], evidence: [], measured: `not measurable: ${why}.` };
    }
    const bySeed = new Map(table.seeds.map((s) => [s, seedSpreads(table, losses, s)]));
    const spreads = losses.map((loss) => ({ loss, e: overSeeds(table.seeds, `spread ${lossTitle(loss)}`, (s) => bySeed.get(s)?.spread.get(loss)) }));
    const diffs = losses
      .filter((loss) => !sameLoss(loss, gdl))
      .map((loss) => ({
        loss,
        e: overSeeds(table.seeds, `spread ${lossTitle(loss)} - spread ${lossTitle(gdl)}`, (s) => {
          const m = bySeed.get(s);
          const a = m?.spread.get(loss);
          const b = m?.spread.get(gdl);
          return a === undefined || b === undefined ? undefined : a - b;
        }),
      }));
    const mostly = overSeeds(table.seeds, 'range of spreads - range of best scores', (s) => {
      const m = bySeed.get(s);
      return m === undefined ? undefined : range(m.spread) - range(m.best);
    });
    const parts = [
      ...diffs.map((d) => judge(d.e, `GDL_v more robust than ${lossTitle(d.loss)}`, { kind: 'above', threshold: 0 })),
      judge(mostly, 'losses differ more in robustness than in best score', { kind: 'above', threshold: 0 }),
    ];
    const measured =
      `Mean spread of the score over learning rates: ${spreads.map(({ loss, e }) => `${lossTitle(loss)} ${formatDice(e.mean)}`).join(', ')}` +
      ` (lower = more robust). Range of spreads minus range of best scores: ${formatDice(mostly.mean)}.`;
    return { parts, evidence: [...diffs.map((d) => d.e), mostly, ...spreads.map((s) => s.e)], measured };
  },
};
