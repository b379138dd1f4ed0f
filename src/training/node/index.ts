/** Training on disk (Node-only): train/resume into an output folder, checkpoints, the log, datasets. */
export { train, resume, TrainingDivergedError } from './trainer.js';
export type { TrainOptions, TrainingProgress, TrainingResult } from './trainer.js';
export { saveCheckpoint, loadCheckpoint, latestCheckpointDir, removeRunLeftovers, CHECKPOINTS_DIR } from './checkpoint.js';
export type { CheckpointState, LoadedCheckpoint } from './checkpoint.js';
export { TrainLog, paperScore } from './trainLog.js';
export type { LogCoverage, LogRecord } from './trainLog.js';
export { loadTrainingData, configDirectory } from './trainingData.js';
export type { TrainingCase, TrainingData } from './trainingData.js';
export { ModelSelection, BEST_MODEL_DIR, SELECTION_FILE, selectionSummaryLines } from './modelSelection.js';
export type { SelectionState, SelectionSummary, ValidatedModel } from './modelSelection.js';
export { applyPlan, planCase, readPlanFile } from './planData.js';
export { readTrainingConfig } from './trainingConfigFile.js';
