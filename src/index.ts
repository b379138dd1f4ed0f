/**
 * gendice, the universal API: runs in Node and in browsers (docs/architecture.md). Nothing here, or in
 * anything it imports, touches a Node built-in; files, folders, the oneDNN addon, train/resume on disk
 * and studies are in `gendice/node` (src/node.ts), which re-exports all of this.
 *
 * Not here yet (Node-only until their owners split them, see test/architecture.test.ts PENDING_NODE_ONLY):
 * evaluate() (metrics/evaluate.ts writes files), training configs (training/config.ts reads files), study
 * grids and presets (study/grid.ts).
 */
export * from './common/index.js';
export * from './losses/index.js';

// metrics (evaluate.ts, which also writes files, is in gendice/node)
export type { ArrayWithShape, MaskInput } from './metrics/maskInput.js';
export type { Binarization, MetricResult } from './metrics/metricResult.js';
export type { ConfusionCounts } from './metrics/confusionCounts.js';
export { EMPTY_POLICIES, BINARIZE_MODES, type BinarizeMode, type EmptyPolicy, type MaskOptions, type SpacingOptions } from './metrics/metricOptions.js';
export { dice, diceFromCounts } from './metrics/dice.js';
export type { DiceOptions } from './metrics/dice.js';
export { jaccard, jaccardFromCounts } from './metrics/jaccard.js';
export type { JaccardOptions } from './metrics/jaccard.js';
export { generalizedDiceScore, generalizedDiceFromCounts, GDS_WEIGHT_TYPES } from './metrics/generalizedDiceScore.js';
export type { GdsWeightType, GeneralizedDiceScoreOptions } from './metrics/generalizedDiceScore.js';
export { confusionMetrics, confusionMetricsFromCounts, CONFUSION_METRIC_NAMES } from './metrics/confusionMetrics.js';
export type { ConfusionMetricName, ConfusionMetricsOptions, ConfusionMetricsResult, ConfusionValues } from './metrics/confusionMetrics.js';
export { distanceTransform, squaredDistanceTransform } from './metrics/distanceTransform.js';
export { maskBoundary } from './metrics/boundary.js';
export { surfaceDistances } from './metrics/surfaceDistances.js';
export type { BoundaryMetricOptions, SurfaceDistances } from './metrics/surfaceDistances.js';
export { hausdorffDistance } from './metrics/hausdorffDistance.js';
export type { HausdorffDistanceOptions } from './metrics/hausdorffDistance.js';
export { averageSurfaceDistance } from './metrics/averageSurfaceDistance.js';
export type { AverageSurfaceDistanceOptions } from './metrics/averageSurfaceDistance.js';
export { surfaceDice } from './metrics/surfaceDice.js';
export type { SurfaceDiceOptions } from './metrics/surfaceDice.js';
export { aggregate, summarize } from './metrics/aggregate.js';
export type { Aggregate, Summary } from './metrics/aggregate.js';
export { CountAccumulator, MetricAccumulator } from './metrics/accumulator.js';
export type { CountAccumulatorOptions, CountAccumulatorResult, MetricFunction } from './metrics/accumulator.js';

// networks (model folders and model card files are in gendice/node)
export * from './networks/index.js';

// data (NIfTI files and datasets on disk are in gendice/node)
export * from './data/index.js';

// engine: selection among registered providers (cpu, webgl, webgpu here; native and wasm in gendice/node)
export * from './engine/index.js';

// inference
export { slidingWindowInference, probabilitiesToLabels, windowStarts, inferenceWindow, INFERENCE_WINDOW_VOXELS } from './inference/slidingWindow.js';
export type { Blending, OutputActivation as InferenceActivation, Predictor, SlidingWindowOptions, SlidingWindowResult } from './inference/slidingWindow.js';
export { predictVolume, type PredictVolumeOptions, type VolumePrediction } from './inference/predictVolume.js';

// training, the parts that need no files
export { createOptimizer, learningRateAt } from './training/optimizer.js';
export type { OptimizerState, TrainingOptimizer } from './training/optimizer.js';
export { batchDice } from './training/batchDice.js';

// study: results types, findings and the report's pages from results
export type { CurvePoint, StudyResults, TrialParameters, TrialRecord, TrialStatus } from './study/types.js';
export { trialRecordSchema, serializeTrialRecord, deserializeTrialRecord, trialRecordMismatch, canonicalRecordText } from './study/trialRecord.js';
export { STUDY_PROTOCOL, PROTOCOL_CHANGES, protocolRange, protocolMix, recordProtocol } from './study/protocol.js';
export type { ProtocolChange, ProtocolMember } from './study/protocol.js';
export { computeFindings } from './study/findings/index.js';
export type { Finding, FindingsOptions } from './study/findings/index.js';
export * from './study/report/index.js';
