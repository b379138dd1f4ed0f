import type { Finding } from '../findings/index.js';
import type { StudyResults } from '../types.js';
import { picturesMarkdown, type PagePictures } from './pictures.js';
import { heatmapCells, trialRows } from './rows.js';

/**
 * The study's results as Markdown: the score grid (Fig. 1–2 as tables: one row per network and
 * patch size with its measured foreground fraction, one column per loss and learning rate, mean
 * score over the seeds that ran), test-set Dice per loss, and the findings with their verdicts.
 * With `pictures`, the held-out overlay pictures as image links into `picturesBase` (default `report`).
 * Used for docs/study.md; `gendice report DIR --markdown`.
 */
export function studyMarkdown(results: StudyResults, findings: readonly Finding[], pictures?: PagePictures, picturesBase = 'report'): string {
  const rows = trialRows(results);
  const done = rows.filter((r) => r.state !== 'pending').length;
  const seeds = [...new Set(rows.filter((r) => r.state !== 'pending').map((r) => r.seed))];
  const out: string[] = [
    `Study **${results.name}** on ${results.data}: ${done} of ${rows.length} trials run` +
      (seeds.length ? ` (seed${seeds.length > 1 ? 's' : ''} ${seeds.join(', ')})` : '') +
      '. Scores are the median training Dice of the last iterations (diverged trials count 0); `·` = not run yet.',
    '',
  ];
  const cells = heatmapCells(results);
  const losses = [...new Set(cells.map((c) => c.loss))];
  const rates = [...new Set(cells.map((c) => c.rate))];
  for (const network of [...new Set(cells.map((c) => c.network))]) {
    const mine = cells.filter((c) => c.network === network);
    out.push(`**${network}**`, '');
    out.push(`| patch · foreground | ${losses.flatMap((l) => rates.map((r) => `${l} ${r}`)).join(' | ')} |`);
    out.push(`|---|${losses.flatMap(() => rates.map(() => '---')).join('|')}|`);
    for (const imbalance of [...new Set(mine.map((c) => c.imbalance))]) {
      const values = losses.flatMap((l) =>
        rates.map((r) => {
          const c = mine.find((x) => x.imbalance === imbalance && x.loss === l && x.rate === r);
          return c === undefined || c.score === null ? '·' : c.score.toFixed(2);
        }),
      );
      out.push(`| ${imbalance} | ${values.join(' | ')} |`);
    }
    out.push('');
  }
  const tested = rows.filter((r) => r.testDiceMedian !== null);
  if (tested.length > 0) {
    out.push('**Held-out test set** (median over test cases, then mean over the trials of each loss)', '');
    out.push('| loss | trials | test Dice |', '|---|---|---|');
    for (const l of losses) {
      const v = tested.filter((r) => r.loss === l).map((r) => r.testDiceMedian!);
      if (v.length) out.push(`| ${l} | ${v.length} | ${(v.reduce((a, b) => a + b, 0) / v.length).toFixed(3)} |`);
    }
    out.push('');
  }
  if (pictures !== undefined) out.push(picturesMarkdown(pictures, picturesBase));
  out.push('**The paper\'s findings**', '', '| # | finding | measured | holds |', '|---|---|---|---|');
  for (const f of findings) out.push(`| ${f.id} | ${f.statement} | ${f.measured.replace(/\|/g, '\\|').replace(/\n/g, ' ')} | ${f.holds} |`);
  return `${out.join('\n')}\n`;
}
