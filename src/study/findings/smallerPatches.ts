import type { FindingDefinition, Measurement } from './finding.js';
import { formatDice, meanOf, overSeeds } from './interval.js';
import { patchLabel } from './patchSize.js';
import { missing } from './verdict.js';

/** Finding 4: smaller patches with larger batches do better. */
export const smallerPatches: FindingDefinition = {
  id: 4,
  statement: 'Smaller patches with larger batches do better.',
  measure: 'Per network, loss and learning rate: s(smallest patch) - s(largest patch) (smallest = fewest voxels, trained with the larger batch), averaged: above 0.',
  compute({ table, judge }): Measurement {
    const pairs = table.networks().flatMap((network) => {
      const patches = table.patches(network);
      return patches.length < 2 ? [] : [{ network, small: patches[0]!, large: patches[patches.length - 1]! }];
    });
    const cells = pairs.flatMap((pair) => table.losses(pair.network).flatMap((loss) => table.learningRates(pair.network).map((learningRate) => ({ ...pair, loss, learningRate }))));
    if (cells.length === 0) {
      return { parts: [missing('smaller patches do better', 'no network ran two patch sizes')], evidence: [], measured: 'not measurable: no network ran two patch sizes.' };
    }
    const e = overSeeds(table.seeds, 's(smallest patch) - s(largest patch)', (seed) =>
      meanOf(
        cells
          .map(({ network, loss, learningRate, small, large }) => {
            const a = table.score({ network, loss, learningRate, patch: small, seed });
            const b = table.score({ network, loss, learningRate, patch: large, seed });
            return a === undefined || b === undefined ? undefined : a - b;
          })
          .filter((v): v is number => v !== undefined),
      ),
    );
    const where = pairs.map((p) => `${p.network}: ${patchLabel(p.small)} vs ${patchLabel(p.large)}`);
    const measured = `The smallest patch scores ${formatDice(e.mean)} Dice ${e.mean >= 0 ? 'above' : 'below'} the largest on average (${where.join('; ')}).`;
    return { parts: [judge(e, 'smaller patches with larger batches do better', { kind: 'above', threshold: 0 })], evidence: [e], measured };
  },
};
