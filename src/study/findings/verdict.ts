import { formatEstimate, type Estimate } from './interval.js';

/** Whether a finding of the paper holds in gendice's measurements. */
export type Verdict = 'yes' | 'no' | 'inconclusive';

/** What a study with one seed (no intervals) concludes; see `FindingsOptions.singleSeed`. */
export type SingleSeedPolicy = 'inconclusive' | 'point-estimate';

/** One part of a finding (a finding's sentence often makes several claims), with its own verdict. */
export interface FindingPart {
  claim: string;
  holds: Verdict;
  reason: string;
}

/** A claim about an estimate: above a threshold, below one, or within ±tolerance of 0. */
export type Comparison = { kind: 'above'; threshold: number } | { kind: 'below'; threshold: number } | { kind: 'within'; tolerance: number };

/** `judge` with the study's single-seed policy fixed. */
export type Judge = (e: Estimate, claim: string, c: Comparison) => FindingPart;

/**
 * The verdict of one claim on an estimate's 95% interval: 'yes' when the interval lies on the
 * claim's side, 'no' when it lies on the other, 'inconclusive' when it straddles, when there is no
 * data, or with one seed (no interval) unless `singleSeed` is 'point-estimate' (the mean decides).
 */
export function judge(e: Estimate, claim: string, c: Comparison, singleSeed: SingleSeedPolicy): FindingPart {
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

/** A claim the study's data cannot decide (`reason` says what is missing). */
export function missing(claim: string, reason: string): FindingPart {
  return { claim, holds: 'inconclusive', reason };
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
