import type { StudyResults, TrialRecord } from '../types.js';
import { patchVoxels, samePatch, type PatchSize } from './patchSize.js';
import { paperLoss, sameLoss, studyLoss, type PaperLossName, type StudyLoss } from './studyLoss.js';

/**
 * The score a trial contributes to the findings: its `score` when done; 0 when it diverged (a run
 * whose loss became NaN trained no usable model); nothing when it failed for another reason, is
 * pending, or its score is not finite.
 */
export function effectiveScore(record: TrialRecord | undefined): number | undefined {
  if (record === undefined) return undefined;
  if (record.status === 'diverged') return 0;
  if (record.status !== 'done' || record.score === null || !Number.isFinite(record.score)) return undefined;
  return record.score;
}

/** One cell of the study's grid for one seed: network × loss × learning rate × patch size × seed. */
export interface ScoreCell {
  network: string;
  loss: StudyLoss;
  learningRate: number;
  patch: PatchSize;
  seed: number;
}

/** A trial that has a score (done or diverged), with its cell. */
export interface ScoredTrial extends ScoreCell {
  dims: number;
  voxels: number;
  score: number;
  foregroundFraction: number | null;
  record: TrialRecord;
}

/** Two learning rates are the same when they agree to 1e-9 relative (1e-4 written as 0.0001 or 1e-4). */
export function sameRate(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function uniqueBy<T>(items: readonly T[], same: (a: T, b: T) => boolean): T[] {
  const out: T[] = [];
  for (const item of items) if (!out.some((o) => same(o, item))) out.push(item);
  return out;
}

/**
 * The scores of a study's trials, looked up by structured cell (`{ network, loss: { name, options },
 * learningRate, patch, seed }`), and the study's networks, losses, learning rates and patch sizes in
 * the orders the findings use. Trials without a score (failed, pending) are left out.
 */
export class ScoreTable {
  readonly trials: ScoredTrial[] = [];
  /** The seeds that have at least one scored trial, ascending. */
  readonly seeds: number[];

  constructor(results: StudyResults) {
    for (const t of results.trials) {
      const score = effectiveScore(t.record);
      if (score === undefined || t.record === undefined) continue;
      const p = t.parameters;
      this.trials.push({
        network: p.network,
        dims: p.patchSize.length,
        loss: studyLoss(p),
        learningRate: p.learningRate,
        patch: p.patchSize,
        voxels: patchVoxels(p.patchSize),
        seed: p.seed,
        score,
        foregroundFraction: t.record.foregroundFraction?.median ?? null,
        record: t.record,
      });
    }
    this.seeds = [...new Set(this.trials.map((t) => t.seed))].sort((a, b) => a - b);
  }

  /** The score of one cell; undefined when that trial has none. A repeated trial counts its last record. */
  score(cell: ScoreCell): number | undefined {
    let found: number | undefined;
    for (const t of this.trials) {
      if (t.seed === cell.seed && t.network === cell.network && sameRate(t.learningRate, cell.learningRate) && samePatch(t.patch, cell.patch) && sameLoss(t.loss, cell.loss)) {
        found = t.score;
      }
    }
    return found;
  }

  /** The networks that ran, in grid order; only those of `dims` spatial dimensions when given. */
  networks(dims?: number): string[] {
    return [...new Set(this.trials.filter((t) => dims === undefined || t.dims === dims).map((t) => t.network))];
  }

  /** The spatial dimensions of a network's patches (2 or 3); undefined when it has no scored trial. */
  dims(network: string): number | undefined {
    return this.trials.find((t) => t.network === network)?.dims;
  }

  /** The losses that ran (of one network when given), each variant once, in grid order. */
  losses(network?: string): StudyLoss[] {
    return uniqueBy(this.trials.filter((t) => network === undefined || t.network === network).map((t) => t.loss), sameLoss);
  }

  /** The learning rates that ran (of one network when given), ascending. */
  learningRates(network?: string): number[] {
    return uniqueBy(this.trials.filter((t) => network === undefined || t.network === network).map((t) => t.learningRate), sameRate).sort((a, b) => a - b);
  }

  /** The network's patch sizes, smallest (fewest voxels) first. */
  patches(network: string): PatchSize[] {
    return uniqueBy(this.trials.filter((t) => t.network === network).map((t) => t.patch), samePatch).sort((a, b) => patchVoxels(a) - patchVoxels(b));
  }

  /** The network's patch size whose trials have the lowest median foreground fraction (the highest imbalance). */
  mostImbalancedPatch(network: string): { patch: PatchSize; fraction: number } | undefined {
    let best: { patch: PatchSize; fraction: number } | undefined;
    for (const patch of this.patches(network)) {
      const fractions = this.trials.filter((t) => t.network === network && samePatch(t.patch, patch) && t.foregroundFraction !== null).map((t) => t.foregroundFraction as number);
      if (fractions.length === 0) continue;
      const fraction = median(fractions);
      if (best === undefined || fraction < best.fraction) best = { patch, fraction };
    }
    return best;
  }

  /** The paper's loss `name` as this study ran it (see `paperLoss`). */
  paperLoss(name: PaperLossName): StudyLoss | undefined {
    return paperLoss(this.losses(), name);
  }
}
