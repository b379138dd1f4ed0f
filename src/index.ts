/**
 * gendice, the universal API: runs in Node and in browsers (docs/architecture.md). Nothing here, or in
 * anything it imports, touches a Node built-in; files, folders, the oneDNN addon, train/resume on disk
 * and studies are in `gendice/node` (src/node.ts), which re-exports all of this.
 */
export * from './common/index.js';
export * from './losses/index.js';

// metrics (report files are in gendice/node)
export * from './metrics/index.js';

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
export { predictEnsemble, checkEnsembleCards, type EnsembleMember } from './inference/predictVolume.js';
export { flipSpatialAxes, mirroredPredictor, mirrorAxes } from './inference/mirroring.js';
export { connectedComponents, keepLargestComponent, CONNECTIVITIES, type Connectivity, type ConnectedComponents } from './inference/connectedComponents.js';
export { applyPostprocessing, combinePostprocessing, decidePostprocessing, parsePostprocessing, postprocessedLabels, PostprocessingEvidence, postprocessingJson, POSTPROCESSING_FILE, POSTPROCESSING_FORMAT } from './inference/postprocessing.js';
export type { PostprocessingCase, PostprocessingPlan, StructurePostprocessing } from './inference/postprocessing.js';

// training, the parts that need no files (configuration files are read in gendice/node)
export { trainingConfigSchema, parseTrainingConfig } from './training/config.js';
export type { TrainingConfig, TrainingConfigInput } from './training/config.js';
export { createOptimizer, learningRateAt } from './training/optimizer.js';
export type { OptimizerState, TrainingOptimizer } from './training/optimizer.js';
export { batchDice } from './training/batchDice.js';

// study: grids and presets, results types, findings and the report's pages from results
export { studyConfigSchema, parseStudyConfig, expandGrid, trialId, trialTrainingConfig } from './study/grid.js';
export type { StudyConfig, StudyConfigInput } from './study/grid.js';
export { getPreset, presetNames } from './study/presets.js';
export type { CurvePoint, StudyResults, TrialParameters, TrialRecord, TrialStatus } from './study/types.js';
export { trialRecordSchema, serializeTrialRecord, deserializeTrialRecord, trialRecordMismatch, canonicalRecordText } from './study/trialRecord.js';
export { STUDY_PROTOCOL, PROTOCOL_CHANGES, protocolRange, protocolMix, recordProtocol } from './study/protocol.js';
export type { ProtocolChange, ProtocolMember } from './study/protocol.js';
export { computeFindings } from './study/findings/index.js';
export type { Finding, FindingsOptions } from './study/findings/index.js';
export * from './study/report/index.js';
