import type { NetworkName } from '../../networks/registry.js';
import type { FindingDefinition, Measurement } from './finding.js';
import { formatDice, meanOf, overSeeds } from './interval.js';
import type { ScoreTable } from './scoreTable.js';
import type { StudyLoss } from './studyLoss.js';
import { missing } from './verdict.js';

/** The network the finding is about, by its registry name. */
const DEEP_MEDIC: NetworkName = 'deepMedic';

/**
 * Per seed, on one network: the range over (learning rate, patch size) of s averaged over losses
 * (`hyper`), and the range over losses of s averaged over (learning rate, patch size) (`loss`), over
 * the settings in which every loss ran. Undefined with fewer than two such settings or losses.
 */
function effects(table: ScoreTable, network: string, seed: number): { hyper: number; loss: number } | undefined {
  const losses = table.losses(network);
  const byLoss = new Map<StudyLoss, number[]>();
  const bySetting: number[] = [];
  for (const learningRate of table.learningRates(network)) {
    for (const patch of table.patches(network)) {
      const s = losses.map((loss) => table.score({ network, loss, learningRate, patch, seed }));
      if (s.some((v) => v === undefined)) continue;
      bySetting.push(meanOf(s as number[])!);
      losses.forEach((l, i) => (byLoss.get(l) ?? byLoss.set(l, []).get(l)!).push(s[i]!));
    }
  }
  if (bySetting.length < 2 || losses.length < 2) return undefined;
  const lossMeans = [...byLoss.values()].map((v) => meanOf(v)!);
  return { hyper: Math.max(...bySetting) - Math.min(...bySetting), loss: Math.max(...lossMeans) - Math.min(...lossMeans) };
}

/** Finding 6: DeepMedic is so sensitive to its hyper-parameters that the loss hardly matters for it. */
export const deepMedicSensitivity: FindingDefinition = {
  id: 6,
  statement: 'DeepMedic is so sensitive to its hyper-parameters that the loss hardly matters for it.',
  measure:
    'For DeepMedic: the range over (learning rate, patch size) of s averaged over losses, minus the range over losses of s averaged over (learning rate, patch size), above 0; ' +
    "and when another network of the same dimension ran: its range over losses minus DeepMedic's, above 0.",
  compute({ table, judge }): Measurement {
    const dm = table.networks().find((n) => n === DEEP_MEDIC);
    if (dm === undefined) {
      return { parts: [missing('the loss hardly matters for DeepMedic', 'no DeepMedic trials')], evidence: [], measured: 'not measurable: no DeepMedic trials.' };
    }
    const eA = overSeeds(table.seeds, 'DeepMedic: hyper-parameter range - loss range', (seed) => {
      const e = effects(table, dm, seed);
      return e === undefined ? undefined : e.hyper - e.loss;
    });
    const parts = [judge(eA, 'hyper-parameters matter more than the loss for DeepMedic', { kind: 'above', threshold: 0 })];
    const evidence = [eA];
    const others = table.networks(table.dims(dm)).filter((n) => n !== dm);
    const words = [`For DeepMedic, the range of scores over learning rate × patch size exceeds the range over losses by ${formatDice(eA.mean)} Dice.`];
    for (const other of others) {
      const e = overSeeds(table.seeds, `loss range ${other} - loss range DeepMedic`, (seed) => {
        const a = effects(table, other, seed);
        const b = effects(table, dm, seed);
        return a === undefined || b === undefined ? undefined : a.loss - b.loss;
      });
      evidence.push(e);
      parts.push(judge(e, `the loss matters less for DeepMedic than for ${other}`, { kind: 'above', threshold: 0 }));
      words.push(`The loss moves ${other}'s score by ${formatDice(e.mean)} Dice more than DeepMedic's.`);
    }
    return { parts, evidence, measured: words.join(' ') };
  },
};
