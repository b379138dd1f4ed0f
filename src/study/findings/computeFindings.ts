import type { StudyResults } from '../types.js';
import { bestLearningRate } from './bestLearningRate.js';
import { deepMedicSensitivity } from './deepMedicSensitivity.js';
import { fastRateTwoPath } from './fastRateTwoPath.js';
import type { Finding, FindingContext, FindingDefinition } from './finding.js';
import { imbalance3d } from './imbalance3d.js';
import { intervalText } from './interval.js';
import { robustness } from './robustness.js';
import { ScoreTable } from './scoreTable.js';
import { smallerPatches } from './smallerPatches.js';
import { combineVerdicts, judge, type SingleSeedPolicy } from './verdict.js';

/** Options of `computeFindings`; every one has a documented default. */
export interface FindingsOptions {
  /**
   * What a study with one seed (no intervals) concludes: 'inconclusive' (default: a single run
   * cannot separate an effect from seed noise) or 'point-estimate' (judge on the sign of the means,
   * as the paper did).
   */
  singleSeed?: SingleSeedPolicy;
  /** Dice below which a loss "fails to train" (default 0.1). */
  failDice?: number;
  /** Largest Dice difference for two losses to "match" (default 0.05). */
  matchTolerance?: number;
  /** Slope of the training Dice, per 1000 iterations, below which a curve "has plateaued" (default 0.01). */
  plateauSlope?: number;
}

/** The paper's six findings, in the order of docs/paper.md. */
export const FINDINGS: readonly FindingDefinition[] = [robustness, fastRateTwoPath, bestLearningRate, smallerPatches, imbalance3d, deepMedicSensitivity];

/**
 * How each finding is measured, by id (each definition's `measure`). Shared by `computeFindings`
 * and docs/study.md ("How to read the report"). Notation: s = a trial's score (the paper's median
 * training Dice over the last iterations; 0 for a diverged trial); a cell = network × loss ×
 * learning rate × patch size; every quantity is computed per seed, then averaged over seeds with a
 * 95% t-interval.
 */
export const OPERATIONALISATIONS: Readonly<Record<number, string>> = Object.fromEntries(FINDINGS.map((f) => [f.id, f.measure]));

/**
 * The paper's six findings (Sudre et al. 2017, docs/paper.md) measured on a study.
 *
 * Scores: a trial contributes `record.score` when done, 0 when it diverged, nothing when it failed
 * or has not run. Each quantity is computed per seed from that seed's trials (paired comparisons:
 * the same seed, network and patch size on both sides), then averaged over seeds with a 95%
 * t-interval. A claim "quantity above t" holds ('yes') when the interval lies above t, is refuted
 * ('no') when it lies below, and is 'inconclusive' when the interval contains t, when the data are
 * missing (no 3D trials, no TwoPathCNN, no DeepMedic, a learning rate the study did not use), or
 * with one seed (no interval) unless `singleSeed: 'point-estimate'`. A finding holds when all its
 * claims hold and fails when any claim fails (`combineVerdicts`). The measure of each finding is
 * `OPERATIONALISATIONS[id]`. Defaults: failDice 0.1, matchTolerance 0.05, plateauSlope 0.01.
 */
export function computeFindings(results: StudyResults, options: FindingsOptions = {}): Finding[] {
  const singleSeed = options.singleSeed ?? 'inconclusive';
  if (singleSeed !== 'inconclusive' && singleSeed !== 'point-estimate') {
    throw new Error(`computeFindings: singleSeed must be 'inconclusive' or 'point-estimate', got '${String(singleSeed)}'`);
  }
  const failDice = options.failDice ?? 0.1;
  const matchTolerance = options.matchTolerance ?? 0.05;
  const plateauSlope = options.plateauSlope ?? 0.01;
  for (const [name, v] of [['failDice', failDice], ['matchTolerance', matchTolerance], ['plateauSlope', plateauSlope]] as const) {
    if (!Number.isFinite(v) || v < 0) throw new Error(`computeFindings: ${name} must be a finite number >= 0, got ${v}`);
  }
  const table = new ScoreTable(results);
  const context: FindingContext = { table, judge: (e, claim, c) => judge(e, claim, c, singleSeed), singleSeed, failDice, matchTolerance, plateauSlope };
  return FINDINGS.map(({ id, statement, measure, compute }) => {
    const { parts, evidence, measured } = compute(context);
    return { id, statement, operationalisation: measure, measured, interval: intervalText(evidence, table.seeds.length), holds: combineVerdicts(parts.map((p) => p.holds)), parts, evidence };
  });
}
