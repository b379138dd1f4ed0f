import type { StudyResults, TrialParameters, TrialRecord } from './types.js';

/** Whether a finding of the paper holds in gendice's measurements. */
export type Verdict = 'yes' | 'no' | 'inconclusive';

/**
 * A mean over seeds with its 95% t-interval. Each seed contributes one value, computed from that
 * seed's trials only; `low`/`high` are null with fewer than two values (no interval).
 */
export interface Estimate {
  label: string;
  mean: number;
  low: number | null;
  high: number | null;
  /** Number of seeds that contributed a value. */
  n: number;
  /** The per-seed values, in seed order. */
  values: number[];
}

/** One part of a finding (a finding's sentence often makes several claims), with its own verdict. */
export interface FindingPart {
  claim: string;
  holds: Verdict;
  reason: string;
}

/** One of the paper's six findings, as measured on a study. */
export interface Finding {
  /** 1..6, the order of docs/paper.md. */
  id: number;
  /** The paper's words, short. */
  statement: string;
  /** How gendice measures it (the same text as docs/study.md "How to read the report"). */
  operationalisation: string;
  /** gendice's numbers in words. */
  measured: string;
  /** The main 95% intervals in words ("no interval (one seed)" when there is one seed). */
  interval: string;
  holds: Verdict;
  /** The verdict of each claim of the finding; `holds` combines them (see `combineVerdicts`). */
  parts: FindingPart[];
  evidence: Estimate[];
}

/** Options of `computeFindings`; every one has a documented default. */
export interface FindingsOptions {
  /**
   * What a study with one seed (no intervals) concludes: 'inconclusive' (default: a single run
   * cannot separate an effect from seed noise) or 'point-estimate' (judge on the sign of the means,
   * as the paper did).
   */
  singleSeed?: 'inconclusive' | 'point-estimate';
  /** Dice below which a loss "fails to train" (default 0.1). */
  failDice?: number;
  /** Largest Dice difference for two losses to "match" (default 0.05). */
  matchTolerance?: number;
  /** Slope of the training Dice, per 1000 iterations, below which a curve "has plateaued" (default 0.01). */
  plateauSlope?: number;
}

/** Two-sided 97.5% quantiles of Student's t for 1..30 degrees of freedom. */
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08,
  2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/** The 97.5% quantile of Student's t with `df` degrees of freedom (table up to 30, Cornish–Fisher beyond). */
export function tQuantile975(df: number): number {
  if (!Number.isInteger(df) || df < 1) throw new Error(`tQuantile975: degrees of freedom must be a positive integer, got ${df}`);
  const tabled = T975[df - 1];
  if (tabled !== undefined) return tabled;
  const z = 1.959964;
  return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df * df);
}

/**
 * Mean of `values` with its 95% t-interval `mean ± t(0.975, n-1)·sd/√n` (sd with n-1).
 * Non-finite values are refused; with one value the interval is null, with none the mean is NaN.
 */
export function meanInterval(label: string, values: readonly number[]): Estimate {
  for (const v of values) if (!Number.isFinite(v)) throw new Error(`meanInterval: '${label}' holds a non-finite value ${v}`);
  const n = values.length;
  const mean = n === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { label, mean, low: null, high: null, n, values: [...values] };
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
  const half = (tQuantile975(n - 1) * Math.sqrt(variance)) / Math.sqrt(n);
  return { label, mean, low: mean - half, high: mean + half, n, values: [...values] };
}

/**
 * Combines the verdicts of a finding's claims: 'no' when any claim is refuted (the sentence is then
 * false), 'yes' when all hold, 'inconclusive' otherwise (including no claims).
 */
export function combineVerdicts(verdicts: readonly Verdict[]): Verdict {
  if (verdicts.includes('no')) return 'no';
  if (verdicts.length > 0 && verdicts.every((v) => v === 'yes')) return 'yes';
  return 'inconclusive';
}

/** Formats an estimate as `0.123 [0.100, 0.146]`, or `0.123 (no interval, 1 seed)`. */
export function formatEstimate(e: Estimate, digits = 3): string {
  if (e.n === 0) return `${e.label}: no data`;
  const m = e.mean.toFixed(digits);
  return e.low === null || e.high === null
    ? `${e.label}: ${m} (no interval: ${e.n} seed)`
    : `${e.label}: ${m} [${e.low.toFixed(digits)}, ${e.high.toFixed(digits)}]`;
}

/** A (network, loss, learning rate, patch) setting's score for one seed. */
interface ScoredTrial {
  network: string;
  dims: number;
  loss: string;
  learningRate: number;
  patch: string;
  voxels: number;
  seed: number;
  score: number;
  foregroundFraction: number | null;
  record: TrialRecord;
}

/** The label of a patch size: `64x64`. */
export function patchLabel(patchSize: readonly number[]): string {
  return patchSize.join('x');
}

/**
 * The loss as the study names it: the registry name, followed by its options when it has any
 * (so that two GDL variants in one study stay apart).
 */
export function lossLabel(p: Pick<TrialParameters, 'loss' | 'lossOptions'>): string {
  const keys = Object.keys(p.lossOptions).sort();
  if (keys.length === 0) return p.loss;
  return `${p.loss}(${keys.map((k) => `${k}=${String(p.lossOptions[k])}`).join(',')})`;
}

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

const sameRate = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));

class ScoreTable {
  readonly trials: ScoredTrial[] = [];
  readonly seeds: number[];
  private readonly index = new Map<string, number>();

  constructor(results: StudyResults) {
    for (const t of results.trials) {
      const score = effectiveScore(t.record);
      if (score === undefined || t.record === undefined) continue;
      const p = t.parameters;
      const trial: ScoredTrial = {
        network: p.network,
        dims: p.patchSize.length,
        loss: lossLabel(p),
        learningRate: p.learningRate,
        patch: patchLabel(p.patchSize),
        voxels: p.patchSize.reduce((a, b) => a * b, 1),
        seed: p.seed,
        score,
        foregroundFraction: t.record.foregroundFraction?.median ?? null,
        record: t.record,
      };
      this.trials.push(trial);
      this.index.set(this.key(trial.network, trial.loss, trial.learningRate, trial.patch, trial.seed), score);
    }
    this.seeds = [...new Set(this.trials.map((t) => t.seed))].sort((a, b) => a - b);
  }

  private key(network: string, loss: string, lr: number, patch: string, seed: number): string {
    return `${network}|${loss}|${lr.toExponential(6)}|${patch}|${seed}`;
  }

  score(network: string, loss: string, lr: number, patch: string, seed: number): number | undefined {
    return this.index.get(this.key(network, loss, lr, patch, seed));
  }

  networks(dims?: number): string[] {
    return unique(this.trials.filter((t) => dims === undefined || t.dims === dims).map((t) => t.network));
  }

  losses(network?: string): string[] {
    return unique(this.trials.filter((t) => network === undefined || t.network === network).map((t) => t.loss));
  }

  learningRates(network?: string): number[] {
    const rates: number[] = [];
    for (const t of this.trials) if ((network === undefined || t.network === network) && !rates.some((r) => sameRate(r, t.learningRate))) rates.push(t.learningRate);
    return rates.sort((a, b) => a - b);
  }

  /** The network's patch sizes, smallest (fewest voxels) first. */
  patches(network: string): string[] {
    const seen = new Map<string, number>();
    for (const t of this.trials) if (t.network === network) seen.set(t.patch, t.voxels);
    return [...seen.entries()].sort((a, b) => a[1] - b[1]).map(([p]) => p);
  }

  /** The network's patch size whose trials have the lowest median foreground fraction (the highest imbalance). */
  mostImbalancedPatch(network: string): { patch: string; fraction: number } | undefined {
    let best: { patch: string; fraction: number } | undefined;
    for (const patch of this.patches(network)) {
      const fractions = this.trials.filter((t) => t.network === network && t.patch === patch && t.foregroundFraction !== null).map((t) => t.foregroundFraction as number);
      if (fractions.length === 0) continue;
      const fraction = median(fractions);
      if (best === undefined || fraction < best.fraction) best = { patch, fraction };
    }
    return best;
  }

  /** The paper loss `name` as labelled in this study: the option-free variant when present, else the first. */
  paperLoss(name: 'gdl' | 'wce' | 'dl2' | 'ss'): string | undefined {
    const labels = this.losses();
    if (labels.includes(name)) return name;
    if (name === 'gdl') {
      const square = labels.find((l) => l.startsWith('gdl(') && /weightType=square/.test(l) && !l.includes(',', l.indexOf('(')));
      if (square !== undefined) return square;
    }
    return labels.find((l) => l.startsWith(`${name}(`));
  }
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function mean(values: readonly number[]): number | undefined {
  return values.length === 0 ? undefined : values.reduce((a, b) => a + b, 0) / values.length;
}

/** Per seed: `fn(seed)` (undefined = that seed lacks the data), then the mean and 95% interval over seeds. */
function overSeeds(table: ScoreTable, label: string, fn: (seed: number) => number | undefined): Estimate {
  const values: number[] = [];
  for (const seed of table.seeds) {
    const v = fn(seed);
    if (v !== undefined && Number.isFinite(v)) values.push(v);
  }
  return meanInterval(label, values);
}

/** Least-squares slope of the training Dice over the last quarter of a curve, per 1000 iterations. */
export function finalSlope(record: TrialRecord): number | undefined {
  const points = record.curve.filter((p) => Number.isFinite(p.dice) && Number.isFinite(p.iteration));
  if (points.length === 0) return undefined;
  const last = Math.max(...points.map((p) => p.iteration));
  const tail = points.filter((p) => p.iteration >= 0.75 * last);
  if (tail.length < 3) return undefined;
  const mx = tail.reduce((a, p) => a + p.iteration, 0) / tail.length;
  const my = tail.reduce((a, p) => a + p.dice, 0) / tail.length;
  let sxy = 0;
  let sxx = 0;
  for (const p of tail) {
    sxy += (p.iteration - mx) * (p.dice - my);
    sxx += (p.iteration - mx) ** 2;
  }
  return sxx === 0 ? undefined : (sxy / sxx) * 1000;
}

type Comparison = { kind: 'above'; threshold: number } | { kind: 'below'; threshold: number } | { kind: 'within'; tolerance: number };

function judge(e: Estimate, claim: string, c: Comparison, singleSeed: 'inconclusive' | 'point-estimate'): FindingPart {
  if (e.n === 0) return { claim, holds: 'inconclusive', reason: `no data for '${e.label}'` };
  const [low, high, how] =
    e.low === null || e.high === null
      ? singleSeed === 'inconclusive'
        ? [Number.NaN, Number.NaN, 'one seed: no interval']
        : [e.mean, e.mean, 'one seed: judged on the point estimate']
      : [e.low, e.high, '95% interval'];
  if (Number.isNaN(low)) return { claim, holds: 'inconclusive', reason: `${formatEstimate(e)}; ${how}` };
  let holds: Verdict;
  let rule: string;
  if (c.kind === 'above') {
    holds = low > c.threshold ? 'yes' : high < c.threshold ? 'no' : 'inconclusive';
    rule = `above ${c.threshold}`;
  } else if (c.kind === 'below') {
    holds = high < c.threshold ? 'yes' : low > c.threshold ? 'no' : 'inconclusive';
    rule = `below ${c.threshold}`;
  } else {
    holds = low > -c.tolerance && high < c.tolerance ? 'yes' : low > c.tolerance || high < -c.tolerance ? 'no' : 'inconclusive';
    rule = `within ±${c.tolerance}`;
  }
  return { claim, holds, reason: `${formatEstimate(e)} (${how}; claim: ${rule})` };
}

function missing(claim: string, reason: string): FindingPart {
  return { claim, holds: 'inconclusive', reason };
}

function intervalText(evidence: readonly Estimate[], seeds: number): string {
  if (evidence.length === 0) return 'no data';
  const lines = evidence.map((e) => formatEstimate(e));
  return seeds < 2 ? `no interval (${seeds} seed${seeds === 1 ? '' : 's'}); ${lines.join('; ')}` : lines.join('; ');
}

function finding(id: number, statement: string, operationalisation: string, parts: FindingPart[], evidence: Estimate[], measured: string, seeds: number): Finding {
  return { id, statement, operationalisation, measured, interval: intervalText(evidence, seeds), holds: combineVerdicts(parts.map((p) => p.holds)), parts, evidence };
}

/**
 * How each finding is measured. Shared by `computeFindings` and docs/study.md ("How to read the
 * report"). Notation: s = a trial's score (the paper's median training Dice over the last
 * iterations; 0 for a diverged trial); a cell = network × loss × learning rate × patch size; every
 * quantity is computed per seed, then averaged over seeds with a 95% t-interval.
 */
export const OPERATIONALISATIONS: Readonly<Record<number, string>> = {
  1:
    'Robustness = spread of s over the learning rates (max - min) per network, patch size and loss, averaged over networks and patch sizes. ' +
    'Holds when, for every other loss, spread(loss) - spread(GDL) is above 0, and when the losses differ more in spread than in their best score ' +
    '(range over losses of the spread minus range over losses of the best s over learning rates, above 0).',
  2:
    'In 2D, on TwoPathCNN at the fastest learning rate of the study (1e-3 in the paper): s(GDL) - s(WCE) and s(GDL) - s(DL2), averaged over patch sizes, each above 0. ' +
    'SS depends on the network: the gap s(SS) - s(GDL) (averaged over learning rates and patch sizes) differs between TwoPathCNN and another 2D network ' +
    '(difference outside 0: yes; inside ±matchTolerance: no).',
  3:
    'Best rate: s(1e-4) - max s(other rates) per network, loss and patch size, averaged: above 0, and no single cell where it is clearly below 0. ' +
    'Not plateaued: in 3D at 1e-5, the least-squares slope of the training Dice over the last quarter of the learning curve (per 1000 iterations) is above plateauSlope.',
  4: 'Per network, loss and learning rate: s(smallest patch) - s(largest patch) (smallest = fewest voxels, trained with the larger batch), averaged: above 0.',
  5:
    'In 3D, at each network\'s most imbalanced patch size (lowest median foreground fraction): s(WCE) averaged over learning rates and networks below failDice; ' +
    's(GDL) - s(SS) above 0; at the lowest learning rate |s(GDL) - s(DL2)| within ±matchTolerance; at the highest, s(GDL) - s(DL2) above matchTolerance.',
  6:
    'For DeepMedic: the range over (learning rate, patch size) of s averaged over losses, minus the range over losses of s averaged over (learning rate, patch size), above 0; ' +
    'and when another network of the same dimension ran: its range over losses minus DeepMedic\'s, above 0.',
};

const STATEMENTS: Readonly<Record<number, string>> = {
  1: 'The losses differ mostly in their robustness to the learning rate; GDL_v is the most robust.',
  2: '2D: WCE and DL2 cope badly with the fast rate (1e-3) for TwoPathCNN; SS depends on the network.',
  3: '1e-4 trains best in all cases; 1e-5 has not plateaued after 3000 3D iterations.',
  4: 'Smaller patches with larger batches do better.',
  5: '3D, higher imbalance: WCE fails to train; SS drops clearly below GDL_v; DL2 matches GDL_v at low learning rates but fails at higher ones.',
  6: 'DeepMedic is so sensitive to its hyper-parameters that the loss hardly matters for it.',
};

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
  const tol = options.matchTolerance ?? 0.05;
  const plateau = options.plateauSlope ?? 0.01;
  for (const [name, v] of [['failDice', failDice], ['matchTolerance', tol], ['plateauSlope', plateau]] as const) {
    if (!Number.isFinite(v) || v < 0) throw new Error(`computeFindings: ${name} must be a finite number >= 0, got ${v}`);
  }
  const table = new ScoreTable(results);
  const n = table.seeds.length;
  const j = (e: Estimate, claim: string, c: Comparison): FindingPart => judge(e, claim, c, singleSeed);
  return [
    findingRobustness(table, j, n),
    findingTwoPath(table, j, n, tol),
    findingBestRate(table, j, n, singleSeed, plateau),
    findingPatchSize(table, j, n),
    findingImbalance3d(table, j, n, failDice, tol),
    findingDeepMedic(table, j, n),
  ];
}

type Judge = (e: Estimate, claim: string, c: Comparison) => FindingPart;

const fmt = (v: number): string => (Number.isFinite(v) ? v.toFixed(3) : 'n/a');
const upper = (loss: string): string => loss.toUpperCase();

function findingRobustness(table: ScoreTable, j: Judge, seeds: number): Finding {
  const gdl = table.paperLoss('gdl');
  const losses = table.losses();
  const op = OPERATIONALISATIONS[1]!;
  if (gdl === undefined || losses.length < 2 || table.learningRates().length < 2) {
    const why = gdl === undefined ? 'no GDL trials' : losses.length < 2 ? 'fewer than two losses' : 'fewer than two learning rates';
    return finding(1, STATEMENTS[1]!, op, [missing('GDL_v is the most robust', why)], [], `not measurable: ${why}.`, seeds);
  }
  const cells = table.networks().flatMap((net) => table.patches(net).map((patch) => ({ net, patch })));
  // Per seed: spread and best score of each loss, over the (network, patch) cells every loss has.
  const perSeed = (seed: number): { spread: Map<string, number>; best: Map<string, number> } | undefined => {
    const spread = new Map<string, number[]>();
    const best = new Map<string, number[]>();
    for (const { net, patch } of cells) {
      const rates = table.learningRates(net);
      const row = new Map<string, number[]>();
      for (const loss of losses) {
        const s = rates.map((lr) => table.score(net, loss, lr, patch, seed));
        if (s.some((v) => v === undefined) || s.length < 2) break;
        row.set(loss, s as number[]);
      }
      if (row.size !== losses.length) continue;
      for (const [loss, s] of row) {
        (spread.get(loss) ?? spread.set(loss, []).get(loss)!).push(Math.max(...s) - Math.min(...s));
        (best.get(loss) ?? best.set(loss, []).get(loss)!).push(Math.max(...s));
      }
    }
    if (spread.size === 0) return undefined;
    return {
      spread: new Map([...spread].map(([l, v]) => [l, mean(v)!])),
      best: new Map([...best].map(([l, v]) => [l, mean(v)!])),
    };
  };
  const memo = new Map(table.seeds.map((s) => [s, perSeed(s)]));
  const spreads = losses.map((loss) => overSeeds(table, `spread ${upper(loss)}`, (s) => memo.get(s)?.spread.get(loss)));
  const diffs = losses.filter((l) => l !== gdl).map((loss) => overSeeds(table, `spread ${upper(loss)} - spread ${upper(gdl)}`, (s) => {
    const m = memo.get(s);
    const a = m?.spread.get(loss);
    const b = m?.spread.get(gdl);
    return a === undefined || b === undefined ? undefined : a - b;
  }));
  const range = (m: Map<string, number>): number => Math.max(...m.values()) - Math.min(...m.values());
  const mostly = overSeeds(table, 'range of spreads - range of best scores', (s) => {
    const m = memo.get(s);
    return m === undefined ? undefined : range(m.spread) - range(m.best);
  });
  const parts = [
    ...diffs.map((d) => j(d, `GDL_v more robust than ${d.label.split(' ')[1]}`, { kind: 'above', threshold: 0 })),
    j(mostly, 'losses differ more in robustness than in best score', { kind: 'above', threshold: 0 }),
  ];
  const measured =
    `Mean spread of the score over learning rates: ${spreads.map((e) => `${upper(e.label.slice(7))} ${fmt(e.mean)}`).join(', ')}` +
    ` (lower = more robust). Range of spreads minus range of best scores: ${fmt(mostly.mean)}.`;
  return finding(1, STATEMENTS[1]!, op, parts, [...diffs, mostly, ...spreads], measured, seeds);
}

function findingTwoPath(table: ScoreTable, j: Judge, seeds: number, tol: number): Finding {
  const op = OPERATIONALISATIONS[2]!;
  const nets2d = table.networks(2);
  const twoPath = nets2d.find((n) => /twopath/i.test(n));
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
      const loss = table.paperLoss(name);
      if (loss === undefined) {
        parts.push(missing(`${upper(name)} copes badly with the fast rate on TwoPathCNN`, `no ${upper(name)} trials`));
        continue;
      }
      const e = overSeeds(table, `s(GDL) - s(${upper(name)}) at lr ${fast.toExponential()}`, (seed) => {
        const d = patches.map((p) => {
          const a = table.score(twoPath, gdl, fast, p, seed);
          const b = table.score(twoPath, loss, fast, p, seed);
          return a === undefined || b === undefined ? undefined : a - b;
        }).filter((v): v is number => v !== undefined);
        return mean(d);
      });
      evidence.push(e);
      parts.push(j(e, `${upper(name)} copes badly with the fast rate (${fast.toExponential()}) on TwoPathCNN`, { kind: 'above', threshold: 0 }));
      words.push(`On TwoPathCNN at ${fast.toExponential()}, GDL_v beats ${upper(name)} by ${fmt(e.mean)} Dice.`);
    }
  }
  const ss = table.paperLoss('ss');
  const others = nets2d.filter((n) => n !== twoPath);
  if (twoPath === undefined || gdl === undefined || ss === undefined || others.length === 0) {
    const why = ss === undefined ? 'no SS trials' : others.length === 0 || twoPath === undefined ? 'needs TwoPathCNN and another 2D network' : 'no GDL trials';
    parts.push(missing('SS depends on the network', why));
    words.push(`SS across networks: not measurable (${why}).`);
  } else {
    const gap = (net: string, seed: number): number | undefined => {
      const d: number[] = [];
      for (const lr of table.learningRates(net)) {
        for (const p of table.patches(net)) {
          const a = table.score(net, ss, lr, p, seed);
          const b = table.score(net, gdl, lr, p, seed);
          if (a !== undefined && b !== undefined) d.push(a - b);
        }
      }
      return mean(d);
    };
    const diffs = others.map((other) => overSeeds(table, `SS gap on ${twoPath} - on ${other}`, (seed) => {
      const a = gap(twoPath, seed);
      const b = gap(other, seed);
      return a === undefined || b === undefined ? undefined : a - b;
    }));
    evidence.push(...diffs);
    // "Depends" is shown by any network pair whose difference excludes 0; refuted when all are within ±tol.
    const verdicts = diffs.map((d) => ({ out: j(d, '', { kind: 'within', tolerance: 0 }), eq: j(d, '', { kind: 'within', tolerance: tol }) }));
    const depends = verdicts.some((v) => v.out.holds === 'no');
    const same = verdicts.every((v) => v.eq.holds === 'yes');
    parts.push({
      claim: 'SS depends on the network',
      holds: depends ? 'yes' : same ? 'no' : 'inconclusive',
      reason: diffs.map((d) => formatEstimate(d)).join('; ') + ` (depends: an interval excludes 0; independent: all within ±${tol})`,
    });
    words.push(`SS minus GDL_v differs between TwoPathCNN and ${others.join(', ')} by ${diffs.map((d) => fmt(d.mean)).join(', ')}.`);
  }
  return finding(2, STATEMENTS[2]!, op, parts, evidence, words.join(' '), seeds);
}

function findingBestRate(table: ScoreTable, j: Judge, seeds: number, singleSeed: 'inconclusive' | 'point-estimate', plateau: number): Finding {
  const op = OPERATIONALISATIONS[3]!;
  const parts: FindingPart[] = [];
  const evidence: Estimate[] = [];
  const words: string[] = [];
  const cells = table.networks().flatMap((net) => {
    const rates = table.learningRates(net);
    const r4 = rates.find((r) => sameRate(r, 1e-4));
    if (r4 === undefined || rates.length < 2) return [];
    return table.losses(net).flatMap((loss) => table.patches(net).map((patch) => ({ net, loss, patch, r4, others: rates.filter((r) => r !== r4) })));
  });
  if (cells.length === 0) {
    parts.push(missing('1e-4 trains best in all cases', 'no network ran 1e-4 and another learning rate'));
    words.push('1e-4 best: not measurable (no 1e-4 with another rate).');
  } else {
    const margin = (c: (typeof cells)[number], seed: number): number | undefined => {
      const a = table.score(c.net, c.loss, c.r4, c.patch, seed);
      const b = c.others.map((r) => table.score(c.net, c.loss, r, c.patch, seed)).filter((v): v is number => v !== undefined);
      return a === undefined || b.length === 0 ? undefined : a - Math.max(...b);
    };
    const overall = overSeeds(table, 's(1e-4) - best other rate', (seed) => mean(cells.map((c) => margin(c, seed)).filter((v): v is number => v !== undefined)));
    const perCell = cells.map((c) => overSeeds(table, `${c.net} ${upper(c.loss)} ${c.patch}`, (seed) => margin(c, seed)));
    const beaten = perCell.filter((e) => judge(e, '', { kind: 'above', threshold: 0 }, singleSeed).holds === 'no');
    const best = perCell.filter((e) => e.n > 0 && e.mean > 0).length;
    const measuredCells = perCell.filter((e) => e.n > 0).length;
    evidence.push(overall);
    const part = j(overall, '1e-4 trains best in all cases', { kind: 'above', threshold: 0 });
    if (beaten.length > 0) {
      parts.push({ claim: part.claim, holds: 'no', reason: `${part.reason}; clearly beaten by another rate in ${beaten.length} cell(s): ${beaten.map((e) => e.label).join(', ')}` });
    } else parts.push(part);
    words.push(`1e-4 scores best in ${best} of ${measuredCells} network × loss × patch cells (on the mean over seeds), by ${fmt(overall.mean)} Dice on average; clearly beaten in ${beaten.length}.`);
  }
  const slowCells = table.trials.filter((t) => t.dims === 3 && sameRate(t.learningRate, 1e-5));
  if (slowCells.length === 0) {
    parts.push(missing('1e-5 has not plateaued (3D)', 'no 3D trials at 1e-5'));
    words.push('1e-5 plateau: not measurable (no 3D trials at 1e-5).');
  } else {
    const slope = overSeeds(table, 'final Dice slope at 1e-5 (3D, per 1000 it.)', (seed) =>
      mean(slowCells.filter((t) => t.seed === seed).map((t) => finalSlope(t.record)).filter((v): v is number => v !== undefined)),
    );
    evidence.push(slope);
    parts.push(j(slope, '1e-5 has not plateaued (3D)', { kind: 'above', threshold: plateau }));
    words.push(`In 3D at 1e-5 the training Dice still changes by ${fmt(slope.mean)} per 1000 iterations over the last quarter of training.`);
  }
  return finding(3, STATEMENTS[3]!, op, parts, evidence, words.join(' '), seeds);
}

function findingPatchSize(table: ScoreTable, j: Judge, seeds: number): Finding {
  const op = OPERATIONALISATIONS[4]!;
  const cells = table.networks().flatMap((net) => {
    const patches = table.patches(net);
    if (patches.length < 2) return [];
    const small = patches[0]!;
    const large = patches[patches.length - 1]!;
    return table.losses(net).flatMap((loss) => table.learningRates(net).map((lr) => ({ net, loss, lr, small, large })));
  });
  if (cells.length === 0) {
    return finding(4, STATEMENTS[4]!, op, [missing('smaller patches do better', 'no network ran two patch sizes')], [], 'not measurable: no network ran two patch sizes.', seeds);
  }
  const e = overSeeds(table, 's(smallest patch) - s(largest patch)', (seed) =>
    mean(
      cells
        .map((c) => {
          const a = table.score(c.net, c.loss, c.lr, c.small, seed);
          const b = table.score(c.net, c.loss, c.lr, c.large, seed);
          return a === undefined || b === undefined ? undefined : a - b;
        })
        .filter((v): v is number => v !== undefined),
    ),
  );
  const pairs = unique(cells.map((c) => `${c.net}: ${c.small} vs ${c.large}`));
  const measured = `The smallest patch scores ${fmt(e.mean)} Dice ${e.mean >= 0 ? 'above' : 'below'} the largest on average (${pairs.join('; ')}).`;
  return finding(4, STATEMENTS[4]!, op, [j(e, 'smaller patches with larger batches do better', { kind: 'above', threshold: 0 })], [e], measured, seeds);
}

function findingImbalance3d(table: ScoreTable, j: Judge, seeds: number, failDice: number, tol: number): Finding {
  const op = OPERATIONALISATIONS[5]!;
  const nets = table.networks(3);
  const targets = nets.map((net) => ({ net, worst: table.mostImbalancedPatch(net) })).filter((t) => t.worst !== undefined) as Array<{ net: string; worst: { patch: string; fraction: number } }>;
  const claims = ['WCE fails to train', 'SS drops clearly below GDL_v', 'DL2 matches GDL_v at the lowest learning rate', 'DL2 fails at the highest learning rate'];
  if (targets.length === 0) {
    const why = nets.length === 0 ? 'no 3D trials' : 'no foreground fractions recorded for the 3D trials';
    return finding(5, STATEMENTS[5]!, op, claims.map((c) => missing(c, why)), [], `not measurable: ${why}.`, seeds);
  }
  const gdl = table.paperLoss('gdl');
  const avg = (loss: string | undefined, seed: number, rates: (net: string) => number[], minus?: string): number | undefined => {
    if (loss === undefined) return undefined;
    const v: number[] = [];
    for (const { net, worst } of targets) {
      for (const lr of rates(net)) {
        const a = table.score(net, loss, lr, worst.patch, seed);
        const b = minus === undefined ? 0 : table.score(net, minus, lr, worst.patch, seed);
        if (a !== undefined && b !== undefined) v.push(minus === undefined ? a : b - a);
      }
    }
    return mean(v);
  };
  const all = (net: string): number[] => table.learningRates(net);
  const lowest = (net: string): number[] => table.learningRates(net).slice(0, 1);
  const highest = (net: string): number[] => table.learningRates(net).slice(-1);
  const wce = table.paperLoss('wce');
  const ss = table.paperLoss('ss');
  const dl2 = table.paperLoss('dl2');
  const eWce = overSeeds(table, 's(WCE)', (seed) => avg(wce, seed, all));
  const eSs = overSeeds(table, 's(GDL) - s(SS)', (seed) => (gdl === undefined ? undefined : avg(ss, seed, all, gdl)));
  const eLow = overSeeds(table, 's(GDL) - s(DL2), lowest rate', (seed) => (gdl === undefined ? undefined : avg(dl2, seed, lowest, gdl)));
  const eHigh = overSeeds(table, 's(GDL) - s(DL2), highest rate', (seed) => (gdl === undefined ? undefined : avg(dl2, seed, highest, gdl)));
  const parts = [
    j(eWce, claims[0]!, { kind: 'below', threshold: failDice }),
    j(eSs, claims[1]!, { kind: 'above', threshold: 0 }),
    j(eLow, claims[2]!, { kind: 'within', tolerance: tol }),
    j(eHigh, claims[3]!, { kind: 'above', threshold: tol }),
  ];
  const where = targets.map((t) => `${t.net} ${t.worst.patch} (${(t.worst.fraction * 100).toPrecision(2)}% foreground)`).join(', ');
  const measured =
    `At the most imbalanced patches (${where}): WCE scores ${fmt(eWce.mean)}; GDL_v beats SS by ${fmt(eSs.mean)}; ` +
    `GDL_v minus DL2 is ${fmt(eLow.mean)} at the lowest rate and ${fmt(eHigh.mean)} at the highest.`;
  return finding(5, STATEMENTS[5]!, op, parts, [eWce, eSs, eLow, eHigh], measured, seeds);
}

function findingDeepMedic(table: ScoreTable, j: Judge, seeds: number): Finding {
  const op = OPERATIONALISATIONS[6]!;
  const dm = table.networks().find((n) => /deepmedic/i.test(n));
  if (dm === undefined) {
    return finding(6, STATEMENTS[6]!, op, [missing('the loss hardly matters for DeepMedic', 'no DeepMedic trials')], [], 'not measurable: no DeepMedic trials.', seeds);
  }
  const effects = (net: string, seed: number): { hyper: number; loss: number } | undefined => {
    const losses = table.losses(net);
    const settings = table.learningRates(net).flatMap((lr) => table.patches(net).map((patch) => ({ lr, patch })));
    const byLoss = new Map<string, number[]>();
    const bySetting: number[] = [];
    for (const { lr, patch } of settings) {
      const s = losses.map((l) => table.score(net, l, lr, patch, seed));
      if (s.some((v) => v === undefined)) continue;
      bySetting.push(mean(s as number[])!);
      losses.forEach((l, i) => (byLoss.get(l) ?? byLoss.set(l, []).get(l)!).push(s[i]!));
    }
    if (bySetting.length < 2 || losses.length < 2) return undefined;
    const lossMeans = [...byLoss.values()].map((v) => mean(v)!);
    return { hyper: Math.max(...bySetting) - Math.min(...bySetting), loss: Math.max(...lossMeans) - Math.min(...lossMeans) };
  };
  const eA = overSeeds(table, 'DeepMedic: hyper-parameter range - loss range', (seed) => {
    const e = effects(dm, seed);
    return e === undefined ? undefined : e.hyper - e.loss;
  });
  const parts = [j(eA, 'hyper-parameters matter more than the loss for DeepMedic', { kind: 'above', threshold: 0 })];
  const evidence = [eA];
  const dims = table.trials.find((t) => t.network === dm)!.dims;
  const others = table.networks(dims).filter((n) => n !== dm);
  const words = [`For DeepMedic, the range of scores over learning rate × patch size exceeds the range over losses by ${fmt(eA.mean)} Dice.`];
  for (const other of others) {
    const e = overSeeds(table, `loss range ${other} - loss range DeepMedic`, (seed) => {
      const a = effects(other, seed);
      const b = effects(dm, seed);
      return a === undefined || b === undefined ? undefined : a.loss - b.loss;
    });
    evidence.push(e);
    parts.push(j(e, `the loss matters less for DeepMedic than for ${other}`, { kind: 'above', threshold: 0 }));
    words.push(`The loss moves ${other}'s score by ${fmt(e.mean)} Dice more than DeepMedic's.`);
  }
  return finding(6, STATEMENTS[6]!, op, parts, evidence, words.join(' '), seeds);
}
