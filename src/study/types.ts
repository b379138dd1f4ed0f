/**
 * The study's data model: what one trial (loss × learning rate × patch size × network × seed) records,
 * and what a whole study folder holds. Written by the runner (`runStudy`), read by the report.
 */

/** One point of a learning curve (downsampled from the trial's log). */
export interface CurvePoint {
  iteration: number;
  loss: number;
  /** Training Dice of that iteration's batch (foreground, thresholded); NaN when undefined. */
  dice: number;
}

export type TrialStatus = 'done' | 'diverged' | 'failed';

/** The parameters that define a trial; its id is derived from them. */
export interface TrialParameters {
  network: string;
  /** Network options beyond the data-derived ones (depth, filters, ...). */
  networkOptions: Record<string, unknown>;
  /** Registry name of the loss: 'wce' | 'dl2' | 'ss' | 'gdl' | ... */
  loss: string;
  lossOptions: Record<string, unknown>;
  learningRate: number;
  /** Spatial patch size, 2 or 3 numbers. */
  patchSize: number[];
  batchSize: number;
  seed: number;
  iterations: number;
}

/** What a finished (or failed) trial recorded. Stored as `DIR/trials/<id>/trial.json`. */
export interface TrialRecord extends TrialParameters {
  id: string;
  /**
   * The protocol version the trial was measured under (`STUDY_PROTOCOL` in `protocol.ts`); absent in
   * records that predate the field, which count as version 1.
   */
  protocol?: number;
  /**
   * `sha256:<hex>` of the record's other fields (`canonicalRecordText`), written by `writeTrialRecord`
   * and checked on read, so that a damaged file is never trusted; absent in records written before it.
   */
  checksum?: string;
  status: TrialStatus;
  /** The paper's score: median training Dice over the last `scoreWindow` iterations; null if failed. */
  score: number | null;
  scoreWindow: number;
  /** Measured foreground fraction of the sampled training patches (the imbalance the study varies). */
  foregroundFraction: { mean: number; median: number } | null;
  /** Mean foreground Dice on the validation cases at the end; null without validation cases. */
  validationDice: number | null;
  /** Foreground Dice of each held-out test case (the paper's Fig. 3 box plots); null without test cases. */
  testDice: number[] | null;
  /** Learning curve, at most ~200 points. */
  curve: CurvePoint[];
  seconds: number;
  engine: string;
  /** Set when status is 'diverged' or 'failed'. */
  error?: string;
  finishedAt: string;
}

/** A whole study as read back from its folder (`readStudy(dir)`). */
export interface StudyResults {
  /** Study name (the preset's name or the config file's). */
  name: string;
  /** The data the trials trained on, in words (e.g. "synthetic 2D phantoms, 0.5%..0.02% foreground"). */
  data: string;
  /**
   * Every trial the grid defines, in grid order; `record` is undefined for trials not run yet and for
   * trials whose record is invalid, which then carry the `problem` (path and reason).
   */
  trials: Array<{ id: string; parameters: TrialParameters; record: TrialRecord | undefined; problem?: string }>;
}
