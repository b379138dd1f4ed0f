import type { Estimate } from './interval.js';
import type { ScoreTable } from './scoreTable.js';
import type { FindingPart, Judge, SingleSeedPolicy, Verdict } from './verdict.js';

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

/** What a finding's `compute` sees: the scores, the study's judge, and the thresholds of `FindingsOptions`. */
export interface FindingContext {
  table: ScoreTable;
  /** `judge` with the study's single-seed policy. */
  judge: Judge;
  singleSeed: SingleSeedPolicy;
  failDice: number;
  matchTolerance: number;
  plateauSlope: number;
}

/** What a finding measured: each claim's verdict, the estimates behind them, and the numbers in words. */
export interface Measurement {
  parts: FindingPart[];
  evidence: Estimate[];
  measured: string;
}

/**
 * One finding of the paper: its number, the paper's statement, how gendice measures it (the text
 * of docs/study.md), and the measurement itself. `computeFindings` turns a definition and its
 * measurement into a `Finding` (the verdict combines the claims').
 */
export interface FindingDefinition {
  id: number;
  statement: string;
  measure: string;
  compute(context: FindingContext): Measurement;
}
