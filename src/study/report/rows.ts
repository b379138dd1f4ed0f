import { effectiveScore, lossLabel, patchLabel, studyLoss } from '../findings/index.js';
import type { StudyResults, TrialParameters, TrialRecord } from '../types.js';

/** A trial's state in the report: its record's status, or 'pending' when it has not run yet. */
export type TrialState = TrialRecord['status'] | 'pending';

/** One row of the report's trials table (every trial of the grid, run or not). */
export interface TrialRow {
  id: string;
  network: string;
  dims: number;
  loss: string;
  learningRate: number;
  /** `1e-4`, the learning rate as the figures label it. */
  rate: string;
  patch: string;
  voxels: number;
  batchSize: number;
  seed: number;
  iterations: number;
  state: TrialState;
  /** The paper's score; null when pending, failed or diverged. */
  score: number | null;
  /** Median foreground fraction of the sampled patches; null when pending or not recorded. */
  foregroundFraction: number | null;
  /** Median Dice over the held-out test cases; null without test cases. */
  testDiceMedian: number | null;
  testCases: number;
  seconds: number | null;
  error: string | null;
}

/** `1e-4` for 0.0001; plain numbers for rates that are not powers of ten. */
export function rateLabel(rate: number): string {
  return rate.toExponential().replace('e+', 'e');
}

function medianOf(values: readonly number[]): number | null {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

/** The trials table of a study, in grid order. */
export function trialRows(results: StudyResults): TrialRow[] {
  return results.trials.map(({ id, parameters: p, record: r }) => rowOf(id, p, r));
}

function rowOf(id: string, p: TrialParameters, r: TrialRecord | undefined): TrialRow {
  const score = r?.status === 'done' && r.score !== null && Number.isFinite(r.score) ? r.score : null;
  const test = r?.testDice ?? null;
  return {
    id,
    network: p.network,
    dims: p.patchSize.length,
    loss: lossLabel(studyLoss(p)),
    learningRate: p.learningRate,
    rate: rateLabel(p.learningRate),
    patch: patchLabel(p.patchSize),
    voxels: p.patchSize.reduce((a, b) => a * b, 1),
    batchSize: p.batchSize,
    seed: p.seed,
    iterations: p.iterations,
    state: r?.status ?? 'pending',
    score,
    foregroundFraction: r?.foregroundFraction?.median ?? null,
    testDiceMedian: test === null ? null : medianOf(test),
    testCases: test?.length ?? 0,
    seconds: r?.seconds ?? null,
    error: r?.error ?? null,
  };
}

/** One cell of a heatmap: a (network, loss, learning rate, patch) setting aggregated over its seeds. */
export interface HeatmapCell {
  network: string;
  loss: string;
  learningRate: number;
  rate: string;
  patch: string;
  /** `64x64 · 0.52%`: the patch and its median foreground fraction over the network's trials. */
  imbalance: string;
  /** That median foreground fraction (for ordering); null when no trial of the patch has run. */
  foregroundFraction: number | null;
  /** Mean over seeds of the effective score (0 for diverged trials); null when none has a score. */
  score: number | null;
  /** What the cell prints: the score, or 'pending' / 'failed'. */
  label: string;
  done: number;
  diverged: number;
  failed: number;
  pending: number;
}

/** The heatmap cells of every network (the paper's Fig. 1–2), aggregated over seeds. */
export function heatmapCells(results: StudyResults): HeatmapCell[] {
  const groups = new Map<string, Array<{ p: TrialParameters; r: TrialRecord | undefined }>>();
  const fractions = new Map<string, number[]>();
  for (const { parameters: p, record: r } of results.trials) {
    const key = [p.network, lossLabel(studyLoss(p)), p.learningRate, patchLabel(p.patchSize)].join('|');
    (groups.get(key) ?? groups.set(key, []).get(key)!).push({ p, r });
    const fKey = `${p.network}|${patchLabel(p.patchSize)}`;
    const f = r?.foregroundFraction?.median;
    if (f !== undefined && Number.isFinite(f)) (fractions.get(fKey) ?? fractions.set(fKey, []).get(fKey)!).push(f);
  }
  const cells: HeatmapCell[] = [];
  for (const trials of groups.values()) {
    const p = trials[0]!.p;
    const patch = patchLabel(p.patchSize);
    const fraction = medianOf(fractions.get(`${p.network}|${patch}`) ?? []);
    const scores = trials.map((t) => effectiveScore(t.r)).filter((s): s is number => s !== undefined);
    const count = (s: TrialState): number => trials.filter((t) => (t.r?.status ?? 'pending') === s).length;
    const score = scores.length === 0 ? null : scores.reduce((a, b) => a + b, 0) / scores.length;
    const pending = count('pending');
    cells.push({
      network: p.network,
      loss: lossLabel(studyLoss(p)),
      learningRate: p.learningRate,
      rate: rateLabel(p.learningRate),
      patch,
      imbalance: `${patch} · ${fraction === null ? 'fg n/a' : `${(fraction * 100).toPrecision(2)}%`}`,
      foregroundFraction: fraction,
      score,
      label: score !== null ? score.toFixed(2) : pending > 0 ? 'pending' : 'failed',
      done: count('done'),
      diverged: count('diverged'),
      failed: count('failed'),
      pending,
    });
  }
  return cells;
}
