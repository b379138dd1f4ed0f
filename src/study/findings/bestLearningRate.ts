import { finalSlope } from './finalSlope.js';
import type { FindingDefinition, Measurement } from './finding.js';
import { formatDice, meanOf, overSeeds, type Estimate } from './interval.js';
import { patchLabel, type PatchSize } from './patchSize.js';
import { sameRate, type ScoreTable } from './scoreTable.js';
import { lossTitle, type StudyLoss } from './studyLoss.js';
import { missing, type FindingPart } from './verdict.js';

/** A network × loss × patch cell that ran 1e-4 and at least one other rate. */
interface RateCell {
  network: string;
  loss: StudyLoss;
  patch: PatchSize;
  r4: number;
  others: number[];
}

function rateCells(table: ScoreTable): RateCell[] {
  return table.networks().flatMap((network) => {
    const rates = table.learningRates(network);
    const r4 = rates.find((r) => sameRate(r, 1e-4));
    if (r4 === undefined || rates.length < 2) return [];
    const others = rates.filter((r) => r !== r4);
    return table.losses(network).flatMap((loss) => table.patches(network).map((patch) => ({ network, loss, patch, r4, others })));
  });
}

/** Per seed: s(1e-4) minus the best score at the other rates, in one cell. */
function margin(table: ScoreTable, c: RateCell, seed: number): number | undefined {
  const cell = { network: c.network, loss: c.loss, patch: c.patch, seed };
  const a = table.score({ ...cell, learningRate: c.r4 });
  const b = c.others.map((learningRate) => table.score({ ...cell, learningRate })).filter((v): v is number => v !== undefined);
  return a === undefined || b.length === 0 ? undefined : a - Math.max(...b);
}

/** Finding 3: 1e-4 trains best in all cases; 1e-5 has not plateaued after 3000 3D iterations. */
export const bestLearningRate: FindingDefinition = {
  id: 3,
  statement: '1e-4 trains best in all cases; 1e-5 has not plateaued after 3000 3D iterations.',
  measure:
    'Best rate: s(1e-4) - max s(other rates) per network, loss and patch size, averaged: above 0, and no single cell where it is clearly below 0. ' +
    'Not plateaued: in 3D at 1e-5, the least-squares slope of the training Dice over the last quarter of the learning curve (per 1000 iterations) is above plateauSlope.',
  compute({ table, judge, plateauSlope }): Measurement {
    const parts: FindingPart[] = [];
    const evidence: Estimate[] = [];
    const words: string[] = [];
    const cells = rateCells(table);
    if (cells.length === 0) {
      parts.push(missing('1e-4 trains best in all cases', 'no network ran 1e-4 and another learning rate'));
      words.push('1e-4 best: not measurable (no 1e-4 with another rate).');
    } else {
      const overall = overSeeds(table.seeds, 's(1e-4) - best other rate', (seed) => meanOf(cells.map((c) => margin(table, c, seed)).filter((v): v is number => v !== undefined)));
      const perCell = cells.map((c) => overSeeds(table.seeds, `${c.network} ${lossTitle(c.loss)} ${patchLabel(c.patch)}`, (seed) => margin(table, c, seed)));
      const beaten = perCell.filter((e) => judge(e, '', { kind: 'above', threshold: 0 }).holds === 'no');
      const best = perCell.filter((e) => e.n > 0 && e.mean > 0).length;
      const measuredCells = perCell.filter((e) => e.n > 0).length;
      evidence.push(overall);
      const part = judge(overall, '1e-4 trains best in all cases', { kind: 'above', threshold: 0 });
      // One cell clearly beaten refutes "in all cases", whatever the average says.
      if (beaten.length > 0) {
        parts.push({ claim: part.claim, holds: 'no', reason: `${part.reason}; clearly beaten by another rate in ${beaten.length} cell(s): ${beaten.map((e) => e.label).join(', ')}` });
      } else parts.push(part);
      words.push(`1e-4 scores best in ${best} of ${measuredCells} network × loss × patch cells (on the mean over seeds), by ${formatDice(overall.mean)} Dice on average; clearly beaten in ${beaten.length}.`);
    }
    const slowTrials = table.trials.filter((t) => t.dims === 3 && sameRate(t.learningRate, 1e-5));
    if (slowTrials.length === 0) {
      parts.push(missing('1e-5 has not plateaued (3D)', 'no 3D trials at 1e-5'));
      words.push('1e-5 plateau: not measurable (no 3D trials at 1e-5).');
    } else {
      const slope = overSeeds(table.seeds, 'final Dice slope at 1e-5 (3D, per 1000 it.)', (seed) =>
        meanOf(slowTrials.filter((t) => t.seed === seed).map((t) => finalSlope(t.record)).filter((v): v is number => v !== undefined)),
      );
      evidence.push(slope);
      parts.push(judge(slope, '1e-5 has not plateaued (3D)', { kind: 'above', threshold: plateauSlope }));
      words.push(`In 3D at 1e-5 the training Dice still changes by ${formatDice(slope.mean)} per 1000 iterations over the last quarter of training.`);
    }
    return { parts, evidence, measured: words.join(' ') };
  },
};
