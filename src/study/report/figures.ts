import type { TopLevelSpec } from 'vega-lite';
import { lossLabel, studyLoss } from '../findings/index.js';
import type { StudyResults } from '../types.js';
import { heatmapCells, rateLabel, trialRows } from './rows.js';

/** A figure of the report: its vega-lite spec, or the reason it cannot be drawn (no data yet). */
export interface FigurePlan {
  /** File name without extension: `dice-heatmap-unet2d`. */
  name: string;
  title: string;
  caption: string;
  /** null when the study has no data for this figure; `missing` then says why. */
  spec: TopLevelSpec | null;
  missing?: string;
}

/** The font the figures ask for: installed on Debian (fonts-dejavu) and loaded by resvg. */
export const FIGURE_FONT = 'DejaVu Sans';

const config = {
  font: FIGURE_FONT,
  background: 'white',
  view: { stroke: '#ccc' },
  axis: { labelFontSize: 11, titleFontSize: 12 },
  header: { labelFontSize: 12, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 12 },
};

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Losses in the paper's order first (WCE, DL2, SS, GDL), then any others alphabetically. */
export function lossOrder(losses: readonly string[]): string[] {
  const paper = ['wce', 'dl2', 'ss', 'gdl'];
  const rank = (l: string): number => {
    const i = paper.indexOf(l.replace(/\(.*$/, ''));
    return i < 0 ? paper.length : i;
  };
  return [...new Set(losses)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

function safeName(network: string): string {
  return network.replace(/[^A-Za-z0-9_-]+/g, '-');
}

function networksOf(results: StudyResults): string[] {
  return [...new Set(results.trials.map((t) => t.parameters.network))];
}

/** The learning-rate labels of `items`, each once, slowest rate first (the figures' axis and legend order). */
function rateOrder(items: ReadonlyArray<{ learningRate: number; rate: string }>): string[] {
  return [...new Map(items.map((v) => [v.learningRate, v.rate])).entries()].sort((a, b) => a[0] - b[0]).map(([, r]) => r);
}

/**
 * Dice over learning rate × foreground fraction for one network, one facet per loss (the paper's
 * Fig. 1–2 as heatmaps). Each cell is the mean score over seeds; cells without a score are grey and
 * say 'pending' or 'failed'. Rows are the patch sizes, labelled with their measured median
 * foreground fraction, most imbalanced at the bottom.
 */
export function heatmapFigure(results: StudyResults, network: string): FigurePlan {
  const cells = heatmapCells(results).filter((c) => c.network === network);
  const name = `dice-heatmap-${safeName(network)}`;
  const title = `${network}: Dice over learning rate × foreground fraction`;
  const caption =
    'Mean over seeds of the score (median training Dice over the last iterations; diverged trials count 0). ' +
    'Rows: patch size with its median foreground fraction. Grey cells have no score yet.';
  if (cells.length === 0) return { name, title, caption, spec: null, missing: `no trials for network '${network}'` };
  const rates = rateOrder(cells);
  const rows = [...new Map(cells.map((c) => [c.imbalance, c.foregroundFraction ?? Infinity])).entries()].sort((a, b) => b[1] - a[1]).map(([l]) => l);
  const x = { field: 'rate', type: 'ordinal', sort: rates, title: 'learning rate' } as const;
  const y = { field: 'imbalance', type: 'ordinal', sort: rows, title: 'patch · foreground' } as const;
  const spec: TopLevelSpec = {
    $schema: SCHEMA,
    title,
    data: { values: cells as unknown as Array<Record<string, unknown>> },
    facet: { column: { field: 'loss', type: 'nominal', sort: lossOrder(cells.map((c) => c.loss)), title: 'loss' } },
    spec: {
      width: 44 * rates.length + 20,
      height: 30 * rows.length + 10,
      layer: [
        { mark: { type: 'rect', color: '#e5e5e5' }, encoding: { x, y } },
        {
          transform: [{ filter: 'isValid(datum.score)' }],
          mark: 'rect',
          encoding: { x, y, color: { field: 'score', type: 'quantitative', title: 'Dice', scale: { domain: [0, 1], scheme: 'viridis' } } },
        },
        {
          mark: { type: 'text', fontSize: 10 },
          encoding: {
            x,
            y,
            text: { field: 'label', type: 'nominal' },
            color: { condition: { test: 'isValid(datum.score) && datum.score < 0.6', value: 'white' }, value: 'black' },
          },
        },
      ],
    },
    config,
  };
  return { name, title, caption, spec };
}

/** Test-set Dice per loss (the paper's Fig. 3): box plots per network, one box per learning rate. */
export function testBoxFigure(results: StudyResults): FigurePlan {
  const name = 'test-dice';
  const title = 'Held-out test set: Dice per loss';
  const caption = 'Foreground Dice of each held-out test case, pooled over seeds and patch sizes; boxes span min to max.';
  const values: Array<{ network: string; loss: string; rate: string; learningRate: number; dice: number }> = [];
  for (const { parameters: p, record: r } of results.trials) {
    if (r?.status !== 'done' || r.testDice === null) continue;
    for (const dice of r.testDice) if (Number.isFinite(dice)) values.push({ network: p.network, loss: lossLabel(studyLoss(p)), rate: rateLabel(p.learningRate), learningRate: p.learningRate, dice });
  }
  if (values.length === 0) {
    const done = results.trials.some((t) => t.record?.status === 'done');
    return { name, title, caption, spec: null, missing: done ? 'no test cases: the finished trials recorded no held-out test Dice' : 'no finished trial yet' };
  }
  const rates = rateOrder(values);
  const spec: TopLevelSpec = {
    $schema: SCHEMA,
    title,
    data: { values },
    facet: { column: { field: 'network', type: 'nominal', sort: networksOf(results), title: 'network' } },
    spec: {
      width: 220,
      height: 200,
      mark: { type: 'boxplot', extent: 'min-max', size: 12 },
      encoding: {
        x: { field: 'loss', type: 'nominal', sort: lossOrder(values.map((v) => v.loss)), title: 'loss' },
        xOffset: { field: 'rate', type: 'nominal', sort: rates },
        y: { field: 'dice', type: 'quantitative', title: 'test Dice', scale: { domain: [0, 1] } },
        color: { field: 'rate', type: 'nominal', sort: rates, title: 'learning rate' },
      },
    },
    config,
  };
  return { name, title, caption, spec };
}

/** Learning curves of one network: training Dice over iterations, a line per trial, coloured by loss, one facet per learning rate. */
export function curvesFigure(results: StudyResults, network: string): FigurePlan {
  const name = `learning-curves-${safeName(network)}`;
  const title = `${network}: learning curves`;
  const caption = 'Training Dice of each trial (moving mean over 9 logged points), one line per trial (patch size × seed), coloured by loss.';
  const values: Array<{ id: string; loss: string; rate: string; learningRate: number; iteration: number; dice: number }> = [];
  for (const { id, parameters: p, record: r } of results.trials) {
    if (p.network !== network || r === undefined) continue;
    for (const point of r.curve) {
      if (Number.isFinite(point.dice) && Number.isFinite(point.iteration)) {
        values.push({ id, loss: lossLabel(studyLoss(p)), rate: rateLabel(p.learningRate), learningRate: p.learningRate, iteration: point.iteration, dice: point.dice });
      }
    }
  }
  if (values.length === 0) {
    const ran = results.trials.some((t) => t.parameters.network === network && t.record !== undefined);
    return { name, title, caption, spec: null, missing: ran ? 'the trials recorded no learning curve' : 'no trial of this network has run yet' };
  }
  const rates = rateOrder(values);
  const spec: TopLevelSpec = {
    $schema: SCHEMA,
    title,
    data: { values },
    transform: [
      { sort: [{ field: 'iteration' }], window: [{ op: 'mean', field: 'dice', as: 'smoothDice' }], groupby: ['id'], frame: [-4, 4] },
    ],
    facet: { column: { field: 'rate', type: 'ordinal', sort: rates, title: 'learning rate' } },
    spec: {
      width: 200,
      height: 160,
      mark: { type: 'line', strokeWidth: 1.2, opacity: 0.75 },
      encoding: {
        x: { field: 'iteration', type: 'quantitative', title: 'iteration' },
        y: { field: 'smoothDice', type: 'quantitative', title: 'training Dice', scale: { domain: [0, 1] } },
        color: { field: 'loss', type: 'nominal', sort: lossOrder(values.map((v) => v.loss)), title: 'loss' },
        detail: { field: 'id', type: 'nominal' },
      },
    },
    config,
  };
  return { name, title, caption, spec };
}

/** Every figure of the report, in page order: heatmaps per network, the test box plots, learning curves per network. */
export function reportFigures(results: StudyResults): FigurePlan[] {
  const networks = networksOf(results);
  return [...networks.map((n) => heatmapFigure(results, n)), testBoxFigure(results), ...networks.map((n) => curvesFigure(results, n))];
}

/** The figures' trial counts, used by the page header. */
export function trialCounts(results: StudyResults): Record<'done' | 'diverged' | 'failed' | 'pending', number> {
  const counts = { done: 0, diverged: 0, failed: 0, pending: 0 };
  for (const row of trialRows(results)) counts[row.state]++;
  return counts;
}
