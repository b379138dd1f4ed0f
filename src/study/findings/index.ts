export { computeFindings, FINDINGS, OPERATIONALISATIONS, type FindingsOptions } from './computeFindings.js';
export type { Finding, FindingContext, FindingDefinition, Measurement } from './finding.js';
export { finalSlope } from './finalSlope.js';
export { formatDice, formatEstimate, intervalText, meanInterval, meanOf, overSeeds, type Estimate } from './interval.js';
export { patchLabel, patchVoxels, samePatch, type PatchSize } from './patchSize.js';
export { effectiveScore, sameRate, ScoreTable, type ScoreCell, type ScoredTrial } from './scoreTable.js';
export { lossLabel, lossTitle, paperLoss, sameLoss, studyLoss, type PaperLossName, type StudyLoss } from './studyLoss.js';
export { tQuantile975 } from './tQuantile.js';
export { combineVerdicts, judge, missing, type Comparison, type FindingPart, type Judge, type SingleSeedPolicy, type Verdict } from './verdict.js';
