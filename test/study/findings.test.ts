import { describe, expect, it } from 'vitest';
import {
  combineVerdicts,
  computeFindings,
  effectiveScore,
  finalSlope,
  lossLabel,
  meanInterval,
  OPERATIONALISATIONS,
  paperLoss,
  sameLoss,
  ScoreTable,
  tQuantile975,
  type Finding,
  type StudyLoss,
} from '../../src/study/findings/index.js';
import type { StudyResults, TrialParameters, TrialRecord } from '../../src/study/types.js';
import { DEEPMEDIC, HIGHRESNET, makeStudy, paperLikeOutcome, TWOPATH, UNET2D, type FixtureOutcome } from './reportFixture.js';

const byId = (findings: Finding[], id: number): Finding => {
  const f = findings.find((x) => x.id === id);
  if (f === undefined) throw new Error(`no finding ${id}`);
  return f;
};

const slowRising = (p: TrialParameters): number => (p.learningRate === 1e-5 ? 0.002 : 0);

describe('meanInterval and the t quantile', () => {
  it('gives the textbook 95% t-interval', () => {
    const e = meanInterval('x', [1, 2, 3]);
    expect(e.mean).toBeCloseTo(2, 12);
    // sd 1, t(0.975, 2) = 4.303: half-width 4.303/√3
    expect(e.low).toBeCloseTo(2 - 4.303 / Math.sqrt(3), 10);
    expect(e.high).toBeCloseTo(2 + 4.303 / Math.sqrt(3), 10);
    expect(e.n).toBe(3);
  });

  it('has no interval with one value and a NaN mean with none', () => {
    expect(meanInterval('x', [0.4])).toMatchObject({ mean: 0.4, low: null, high: null, n: 1 });
    expect(Number.isNaN(meanInterval('x', []).mean)).toBe(true);
  });

  it.each([
    [1, 12.706],
    [4, 2.776],
    [30, 2.042],
    [60, 2.0003],
    [1000, 1.9623],
  ])('t(0.975, %i) = %f', (df, t) => {
    expect(tQuantile975(df)).toBeCloseTo(t, 3);
  });

  it('refuses non-finite values and bad degrees of freedom, naming the function', () => {
    expect(() => meanInterval('spread', [1, Number.NaN])).toThrow(/meanInterval: 'spread' holds a non-finite value NaN/);
    expect(() => tQuantile975(0)).toThrow(/tQuantile975: .* got 0/);
  });
});

describe('verdicts and scores', () => {
  it.each([
    [['yes', 'yes'], 'yes'],
    [['yes', 'inconclusive'], 'inconclusive'],
    [['yes', 'no', 'inconclusive'], 'no'],
    [[], 'inconclusive'],
  ] as const)('combineVerdicts(%j) = %s', (verdicts, expected) => {
    expect(combineVerdicts(verdicts)).toBe(expected);
  });

  it('counts a diverged trial as 0 and ignores failed, pending and NaN scores', () => {
    const base = { score: 0.7, status: 'done' } as TrialRecord;
    expect(effectiveScore(base)).toBe(0.7);
    expect(effectiveScore({ ...base, status: 'diverged', score: null })).toBe(0);
    expect(effectiveScore({ ...base, status: 'failed', score: null })).toBeUndefined();
    expect(effectiveScore({ ...base, score: Number.NaN })).toBeUndefined();
    expect(effectiveScore(undefined)).toBeUndefined();
  });

  it('finalSlope is the least-squares slope of the last quarter, per 1000 iterations', () => {
    const curve = Array.from({ length: 20 }, (_, k) => ({ iteration: (k + 1) * 100, loss: 0, dice: k < 14 ? 0.1 : 0.5 + 0.0003 * (k + 1) * 100 }));
    expect(finalSlope({ curve } as TrialRecord)).toBeCloseTo(0.3, 10);
    expect(finalSlope({ curve: curve.slice(0, 2) } as TrialRecord)).toBeUndefined();
  });

  it('refuses a bad option with the closest meaning named', () => {
    const study = makeStudy({ networks: [UNET2D], outcome: () => 0.5 });
    expect(() => computeFindings(study, { singleSeed: 'point' as 'inconclusive' })).toThrow(/computeFindings: singleSeed must be 'inconclusive' or 'point-estimate', got 'point'/);
    expect(() => computeFindings(study, { matchTolerance: -1 })).toThrow(/computeFindings: matchTolerance must be a finite number >= 0, got -1/);
  });
});

describe('computeFindings on the paper-like fixture (3 seeds, 2D and 3D)', () => {
  const study = makeStudy({ networks: [UNET2D, TWOPATH, DEEPMEDIC, HIGHRESNET], outcome: paperLikeOutcome, finalSlope: slowRising });
  const findings = computeFindings(study);

  it('returns the six findings in order, each with its statement and measure', () => {
    expect(findings.map((f) => f.id)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const f of findings) {
      expect(f.statement.length).toBeGreaterThan(20);
      expect(f.operationalisation).toBe(OPERATIONALISATIONS[f.id]);
      expect(f.evidence.length).toBeGreaterThan(0);
      expect(f.interval).toMatch(/\[-?\d\.\d{3}, -?\d\.\d{3}\]/);
    }
  });

  it('finds all six to hold', () => {
    expect(findings.map((f) => [f.id, f.holds])).toEqual([1, 2, 3, 4, 5, 6].map((id) => [id, 'yes']));
  });

  it('measures the numbers the fixture was built with', () => {
    // GDL's score loses 0.05 at 1e-3 and 0.03 at 1e-5 (0.066 with DeepMedic's flat-lined cells): the smallest spread.
    const spreads = byId(findings, 1).evidence.filter((e) => e.label.startsWith('spread ') && !e.label.includes(' - '));
    const gdl = spreads.find((e) => e.label === 'spread GDL')!;
    expect(gdl.mean).toBeLessThan(Math.min(...spreads.filter((e) => e !== gdl).map((e) => e.mean)));
    // On TwoPathCNN at 1e-3 WCE loses 0.35 on top of the 0.1 of the rate, GDL only 0.05: a gap of 0.40.
    const wce = byId(findings, 2).evidence.find((e) => e.label.includes('s(WCE)'))!;
    expect(wce.mean).toBeCloseTo(0.4, 1);
    expect(wce.n).toBe(3);
    // WCE at the 0.05% patches is set to 0.02 on HighResNet and clipped near 0 on DeepMedic.
    const wce3d = byId(findings, 5).evidence.find((e) => e.label === 's(WCE)')!;
    expect(wce3d.mean).toBeGreaterThan(0);
    expect(wce3d.high).toBeLessThan(0.1);
    expect(byId(findings, 5).measured).toMatch(/85x85x85 \(0\.050% foreground\)/);
    // Smallest minus largest patch: 0.1 Dice on the plain networks' model (two steps of 0.05), more on DeepMedic.
    expect(byId(findings, 4).evidence[0]!.mean).toBeGreaterThan(0.1);
  });
});

describe('computeFindings when the paper is contradicted', () => {
  // GDL the least robust, 1e-3 best, large patches best.
  const reversed = (p: TrialParameters, patchIndex: number): FixtureOutcome => {
    const rate = p.learningRate === 1e-3 ? 0 : p.learningRate === 1e-4 ? 0.1 : 0.2;
    return 0.5 + 0.05 * patchIndex - (p.loss === 'gdl' ? 2 : 0.5) * rate;
  };
  const findings = computeFindings(makeStudy({ networks: [UNET2D, TWOPATH], outcome: reversed }));

  it.each([1, 3, 4])('finding %i does not hold', (id) => {
    expect(byId(findings, id).holds).toBe('no');
  });

  it('names the cells where 1e-4 is clearly beaten', () => {
    const part = byId(findings, 3).parts[0]!;
    expect(part.holds).toBe('no');
    expect(byId(findings, 3).measured).toMatch(/1e-4 scores best in 0 of 24/);
  });
});

describe('computeFindings when the data cannot decide', () => {
  it('is inconclusive when the intervals contain 0 (no effect, seed noise only)', () => {
    const findings = computeFindings(makeStudy({ networks: [UNET2D, TWOPATH], outcome: () => 0.6, noise: 0.05 }));
    const f4 = byId(findings, 4);
    expect(f4.holds).toBe('inconclusive');
    const e = f4.evidence[0]!;
    expect(e.low!).toBeLessThan(0);
    expect(e.high!).toBeGreaterThan(0);
  });

  it('is inconclusive about the 3D findings and DeepMedic without 3D trials, saying why', () => {
    const findings = computeFindings(makeStudy({ networks: [UNET2D, TWOPATH], outcome: paperLikeOutcome }));
    expect(byId(findings, 5).holds).toBe('inconclusive');
    expect(byId(findings, 5).parts.every((p) => p.reason === 'no 3D trials')).toBe(true);
    expect(byId(findings, 6)).toMatchObject({ holds: 'inconclusive', measured: 'not measurable: no DeepMedic trials.' });
    const f3 = byId(findings, 3);
    expect(f3.parts[1]).toMatchObject({ holds: 'inconclusive', reason: 'no 3D trials at 1e-5' });
    expect(f3.parts[0]!.holds).toBe('yes');
    expect(f3.holds).toBe('inconclusive');
    // The 2D findings are still decided.
    expect(byId(findings, 2).holds).toBe('yes');
  });

  it('is inconclusive about TwoPathCNN without it, and about everything with no trial run', () => {
    const only3d = computeFindings(makeStudy({ networks: [HIGHRESNET], outcome: paperLikeOutcome }));
    expect(byId(only3d, 2).parts[0]).toMatchObject({ holds: 'inconclusive', reason: 'no 2D TwoPathCNN trials' });
    const none = computeFindings(makeStudy({ networks: [UNET2D, DEEPMEDIC], outcome: () => 'pending' }));
    expect(none.map((f) => f.holds)).toEqual(Array(6).fill('inconclusive'));
    expect(byId(none, 1).measured).toBe('not measurable: no GDL trials.');
  });

  it('with one seed gives no interval: inconclusive by default, the sign of the mean on request', () => {
    const study = makeStudy({ networks: [UNET2D, TWOPATH, DEEPMEDIC, HIGHRESNET], outcome: paperLikeOutcome, seeds: [4], noise: 0, finalSlope: slowRising });
    const strict = computeFindings(study);
    expect(strict.map((f) => f.holds)).toEqual(Array(6).fill('inconclusive'));
    expect(strict[0]!.interval).toMatch(/^no interval \(1 seed\)/);
    expect(strict[0]!.parts[0]!.reason).toMatch(/one seed: no interval/);
    const point = computeFindings(study, { singleSeed: 'point-estimate' });
    expect(point.map((f) => f.holds)).toEqual(Array(6).fill('yes'));
  });

  it('counts diverged trials as 0 Dice: WCE diverging at 1e-3 makes it fail the fast rate on TwoPathCNN', () => {
    const outcome = (p: TrialParameters, i: number): FixtureOutcome => (p.loss === 'wce' && p.learningRate === 1e-3 ? 'diverged' : p.loss === 'dl2' && p.learningRate === 1e-3 ? 'failed' : 0.7 - 0.01 * i);
    const f2 = byId(computeFindings(makeStudy({ networks: [UNET2D, TWOPATH], outcome })), 2);
    const wce = f2.evidence.find((e) => e.label.includes('s(WCE)'))!;
    expect(wce.mean).toBeCloseTo(0.69, 1);
    expect(f2.parts[0]!.holds).toBe('yes');
    // DL2 failed (not diverged) at 1e-3: no data for it.
    expect(f2.parts[1]).toMatchObject({ holds: 'inconclusive' });
    expect(f2.parts[1]!.reason).toMatch(/no data/);
  });
});

describe('losses are structured values { name, options }, never labels read back', () => {
  const gdl = (options: Record<string, unknown>): StudyLoss => ({ name: 'gdl', options });

  it.each([
    ['the option-free variant first', [gdl({ weightType: 'simple' }), gdl({}), gdl({ weightType: 'square' })], {}],
    ["for GDL, else the paper's weightType 'square'", [gdl({ weightType: 'simple' }), gdl({ weightType: 'square' })], { weightType: 'square' }],
    ['else the first variant', [gdl({ weightType: 'simple' }), gdl({ weightType: 'square', smooth: 1 })], { weightType: 'simple' }],
  ] as const)('paperLoss picks %s', (_, losses, options) => {
    expect(paperLoss(losses, 'gdl')).toEqual(gdl(options));
  });

  it('sameLoss compares names and options (in any key order, nested values by value)', () => {
    expect(sameLoss(gdl({ a: 1, b: [1, 2] }), gdl({ b: [1, 2], a: 1 }))).toBe(true);
    expect(sameLoss(gdl({ w: { a: 1 } }), gdl({ w: { a: 2 } }))).toBe(false);
    expect(sameLoss(gdl({}), { name: 'dl2', options: {} })).toBe(false);
    expect(lossLabel(gdl({ weightType: 'simple', w: { a: 1 } }))).toBe('gdl(w={"a":1},weightType=simple)');
  });

  it('keeps two variants apart that differ only in a nested option, and looks scores up by them', () => {
    const study = makeStudy({ networks: [UNET2D], losses: ['gdl'], rates: [1e-4], seeds: [1], noise: 0, outcome: () => 0.5 });
    const variant = (t: StudyResults['trials'][number], a: number, score: number): StudyResults['trials'][number] => {
      const parameters = { ...t.parameters, lossOptions: { classWeights: { a } } };
      return { id: `${t.id}-${a}`, parameters, record: { ...t.record!, ...parameters, score } };
    };
    const table = new ScoreTable({ ...study, trials: study.trials.flatMap((t) => [variant(t, 1, 0.25), variant(t, 2, 0.75)]) });
    expect(table.losses().map(lossLabel)).toEqual(['gdl(classWeights={"a":1})', 'gdl(classWeights={"a":2})']);
    const cell = { network: 'unet2d', learningRate: 1e-4, patch: [64, 64], seed: 1 };
    expect(table.score({ ...cell, loss: gdl({ classWeights: { a: 2 } }) })).toBe(0.75);
    expect(table.score({ ...cell, loss: gdl({ classWeights: { a: 1 } }) })).toBe(0.25);
    expect(table.score({ ...cell, loss: gdl({}) })).toBeUndefined();
  });
});
