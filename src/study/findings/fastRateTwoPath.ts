import type { NetworkName } from '../../networks/registry.js';
import type { FindingDefinition, Measurement } from './finding.js';
import { formatDice, formatEstimate, meanOf, overSeeds, type Estimate } from './interval.js';
import type { ScoreTable } from './scoreTable.js';
import type { StudyLoss } from './studyLoss.js';
import { missing, type FindingPart } from './verdict.js';

/** The network the finding is about, by its registry name. */
const TWO_PATH_CNN: NetworkName = 'twoPathCnn';

/** Per seed: the mean over learning rates and patch sizes of s(SS) - s(GDL) on one network. */
function ssGap(table: ScoreTable, network: string, ss: StudyLoss, gdl: StudyLoss, seed: number): number | undefined {
  const d: number[] = [];
  for (const learningRate of table.learningRates(network)) {
    for (const patch of table.patches(network)) {
      const a = table.score({ network, loss: ss, learningRate, patch, seed });
      const b = table.score({ network, loss: gdl, learningRate, patch, seed });
      if (a !== undefined && b !== undefined) d.push(a - b);
    }
  }
  return meanOf(d);
}

/** Finding 2: in 2D, WCE and DL2 cope badly with the fast rate for TwoPathCNN; SS depends on the network. */
export const fastRateTwoPath: FindingDefinition = {
  id: 2,
  statement: '2D: WCE and DL2 cope badly with the fast rate (1e-3) for TwoPathCNN; SS depends on the network.',
  measure:
    'In 2D, on TwoPathCNN at the fastest learning rate of the study (1e-3 in the paper): s(GDL) - s(WCE) and s(GDL) - s(DL2), averaged over patch sizes, each above 0. ' +
    'SS depends on the network: the gap s(SS) - s(GDL) (averaged over learning rates and patch sizes) differs between TwoPathCNN and another 2D network ' +
    '(difference outside 0: yes; inside ±matchTolerance: no).',
  compute({ table, judge, matchTolerance: tol }): Measurement {
    const nets2d = table.networks(2);
    const twoPath = nets2d.find((n) => n === TWO_PATH_CNN);
    const gdl = table.paperLoss('gdl');
    const parts: FindingPart[] = [];
    const evidence: Estimate[] = [];
    const words: string[] = [];
    if (twoPath === undefined || gdl === undefined) {
      const why = twoPath === undefined ? 'no 2D TwoPathCNN trials' : 'no GDL trials';
      parts.push(missing('WCE and DL2 cope badly with the fast rate on TwoPathCNN', why));
      words.push(`WCE/DL2 on TwoPathCNN: not measurable (${why}).`);
    } else {
      const fast = Math.max(...table.learningRates(twoPath));
      const patches = table.patches(twoPath);
      for (const name of ['wce', 'dl2'] as const) {
        const title = name.toUpperCase();
        const loss = table.paperLoss(name);
        if (loss === undefined) {
          parts.push(missing(`${title} copes badly with the fast rate on TwoPathCNN`, `no ${title} trials`));
          continue;
        }
        const e = overSeeds(table.seeds, `s(GDL) - s(${title}) at lr ${fast.toExponential()}`, (seed) => {
          const d = patches
            .map((patch) => {
              const a = table.score({ network: twoPath, loss: gdl, learningRate: fast, patch, seed });
              const b = table.score({ network: twoPath, loss, learningRate: fast, patch, seed });
              return a === undefined || b === undefined ? undefined : a - b;
            })
            .filter((v): v is number => v !== undefined);
          return meanOf(d);
        });
        evidence.push(e);
        parts.push(judge(e, `${title} copes badly with the fast rate (${fast.toExponential()}) on TwoPathCNN`, { kind: 'above', threshold: 0 }));
        words.push(`On TwoPathCNN at ${fast.toExponential()}, GDL_v beats ${title} by ${formatDice(e.mean)} Dice.`);
      }
    }
    const ss = table.paperLoss('ss');
    const others = nets2d.filter((n) => n !== twoPath);
    if (twoPath === undefined || gdl === undefined || ss === undefined || others.length === 0) {
      const why = ss === undefined ? 'no SS trials' : others.length === 0 || twoPath === undefined ? 'needs TwoPathCNN and another 2D network' : 'no GDL trials';
      parts.push(missing('SS depends on the network', why));
      words.push(`SS across networks: not measurable (${why}).`);
    } else {
      const diffs = others.map((other) =>
        overSeeds(table.seeds, `SS gap on ${twoPath} - on ${other}`, (seed) => {
          const a = ssGap(table, twoPath, ss, gdl, seed);
          const b = ssGap(table, other, ss, gdl, seed);
          return a === undefined || b === undefined ? undefined : a - b;
        }),
      );
      evidence.push(...diffs);
      // "Depends" is shown by any network pair whose difference excludes 0; refuted when all are within ±tol.
      const verdicts = diffs.map((d) => ({ out: judge(d, '', { kind: 'within', tolerance: 0 }), eq: judge(d, '', { kind: 'within', tolerance: tol }) }));
      const depends = verdicts.some((v) => v.out.holds === 'no');
      const same = verdicts.every((v) => v.eq.holds === 'yes');
      parts.push({
        claim: 'SS depends on the network',
        holds: depends ? 'yes' : same ? 'no' : 'inconclusive',
        reason: diffs.map((d) => formatEstimate(d)).join('; ') + ` (depends: an interval excludes 0; independent: all within ±${tol})`,
      });
      words.push(`SS minus GDL_v differs between TwoPathCNN and ${others.join(', ')} by ${diffs.map((d) => formatDice(d.mean)).join(', ')}.`);
    }
    return { parts, evidence, measured: words.join(' ') };
  },
};
