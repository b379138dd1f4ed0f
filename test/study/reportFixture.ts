import { Random } from '../../src/common/index.js';
import type { StudyResults, TrialParameters, TrialRecord, TrialStatus } from '../../src/study/types.js';

/** A network of the fixture grid with its patch sizes (smallest first) and the batch size of each. */
export interface FixtureNetwork {
  name: string;
  patches: number[][];
  batches: number[];
  /** Median foreground fraction of each patch size. */
  fractions: number[];
}

/** What a trial of the fixture records: a score, or a status without one. */
export type FixtureOutcome = number | 'diverged' | 'failed' | 'pending';

export interface FixtureOptions {
  networks: FixtureNetwork[];
  losses?: string[];
  rates?: number[];
  seeds?: number[];
  iterations?: number;
  /** The trial's outcome before seed noise. */
  outcome: (p: TrialParameters, patchIndex: number) => FixtureOutcome;
  /** Standard deviation of the per-seed noise added to every score (default 0.01). */
  noise?: number;
  /** Test cases per finished trial (default 0: no test set). */
  testCases?: number;
  /** Training Dice slope per iteration of the last quarter of the curve (default 0). */
  finalSlope?: (p: TrialParameters) => number;
}

export const UNET2D: FixtureNetwork = { name: 'unet2d', patches: [[32, 32], [64, 64], [128, 128]], batches: [16, 4, 1], fractions: [0.02, 0.008, 0.003] };
export const TWOPATH: FixtureNetwork = { name: 'twoPathCnn', patches: [[33, 33], [65, 65], [129, 129]], batches: [16, 4, 1], fractions: [0.02, 0.008, 0.003] };
export const DEEPMEDIC: FixtureNetwork = { name: 'deepMedic', patches: [[25, 25, 25], [45, 45, 45], [85, 85, 85]], batches: [8, 2, 1], fractions: [0.01, 0.004, 0.0005] };
export const HIGHRESNET: FixtureNetwork = { name: 'highResNet', patches: [[24, 24, 24], [48, 48, 48], [84, 84, 84]], batches: [8, 2, 1], fractions: [0.01, 0.004, 0.0005] };

/** A study's results built from a score model, in grid order (network, loss, rate, patch, seed). */
export function makeStudy(o: FixtureOptions): StudyResults {
  const losses = o.losses ?? ['wce', 'dl2', 'ss', 'gdl'];
  const rates = o.rates ?? [1e-3, 1e-4, 1e-5];
  const seeds = o.seeds ?? [1, 2, 3];
  const iterations = o.iterations ?? 200;
  const noise = o.noise ?? 0.01;
  const trials: StudyResults['trials'] = [];
  for (const net of o.networks) {
    for (const loss of losses) {
      for (const learningRate of rates) {
        net.patches.forEach((patchSize, pi) => {
          for (const seed of seeds) {
            const parameters: TrialParameters = {
              network: net.name,
              networkOptions: {},
              loss,
              lossOptions: {},
              learningRate,
              patchSize,
              batchSize: net.batches[pi]!,
              seed,
              iterations,
            };
            const id = `${net.name}-${loss}-${learningRate}-${patchSize.join('x')}-s${seed}`;
            const outcome = o.outcome(parameters, pi);
            if (outcome === 'pending') {
              trials.push({ id, parameters, record: undefined });
              continue;
            }
            const rng = new Random(seed * 7919 + trials.length);
            const status: TrialStatus = typeof outcome === 'number' ? 'done' : outcome;
            const score = typeof outcome === 'number' ? Math.min(1, Math.max(0, outcome + noise * rng.normal())) : null;
            const slope = o.finalSlope?.(parameters) ?? 0;
            const final = score ?? 0;
            const curve = Array.from({ length: 40 }, (_, k) => {
              const iteration = Math.round(((k + 1) / 40) * iterations);
              const rise = Math.min(1, iteration / (0.5 * iterations));
              const dice = Math.min(1, Math.max(0, final * rise + slope * (iteration - iterations) + 0.02 * rng.normal()));
              return { iteration, loss: 1 - dice, dice };
            });
            const record: TrialRecord = {
              ...parameters,
              id,
              status,
              score,
              scoreWindow: 20,
              foregroundFraction: { mean: net.fractions[pi]! * 1.1, median: net.fractions[pi]! },
              validationDice: score,
              testDice: o.testCases !== undefined && o.testCases > 0 && status === 'done' ? Array.from({ length: o.testCases }, () => Math.min(1, Math.max(0, final + 0.05 * rng.normal()))) : null,
              curve,
              seconds: 12.5,
              engine: 'native',
              finishedAt: '2025-01-01T00:00:00.000Z',
              ...(status !== 'done' ? { error: status === 'diverged' ? 'loss became NaN at iteration 17' : 'out of memory' } : {}),
            };
            trials.push({ id, parameters, record });
          }
        });
      }
    }
  }
  return { name: 'fixture', data: 'synthetic fixture scores', trials };
}

/**
 * A score model in which all six findings of the paper hold: GDL flat over rates, the others
 * losing at 1e-3 (WCE and DL2 badly on TwoPathCNN), 1e-4 best, small patches better, WCE failing and
 * SS below GDL at the most imbalanced 3D patch, DL2 equal to GDL at 1e-5 and failing at 1e-3, and
 * DeepMedic's score set by rate and patch with the loss barely mattering.
 */
export function paperLikeOutcome(p: TrialParameters, patchIndex: number): FixtureOutcome {
  const dims = p.patchSize.length;
  const worst3d = dims === 3 && patchIndex === 2;
  const lrPenalty = p.learningRate === 1e-4 ? 0 : p.learningRate === 1e-5 ? 0.06 : 0.1;
  let s = 0.8 - 0.05 * patchIndex - lrPenalty;
  if (p.network === 'deepMedic') return Math.max(0, 0.35 - 0.15 * patchIndex - 1.5 * lrPenalty) + (p.loss === 'gdl' ? 0.01 : 0);
  if (p.loss === 'gdl') return s + 0.5 * lrPenalty;
  if (p.loss === 'wce') {
    if (worst3d) return 0.02;
    if (p.learningRate === 1e-3) s -= p.network === 'twoPathCnn' ? 0.35 : 0.2;
  }
  if (p.loss === 'dl2') {
    if (p.learningRate === 1e-3) s -= p.network === 'twoPathCnn' ? 0.35 : 0.25;
    if (worst3d && p.learningRate === 1e-5) return 0.8 - 0.1 - 0.03;
  }
  if (p.loss === 'ss') s -= p.network === 'twoPathCnn' ? 0.2 : worst3d ? 0.25 : 0.02;
  return s;
}
