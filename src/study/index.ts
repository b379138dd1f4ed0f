export type { CurvePoint, StudyResults, TrialParameters, TrialRecord, TrialStatus } from './types.js';
export { studyConfigSchema, parseStudyConfig, readStudyConfig, expandGrid, trialId, trialTrainingConfig } from './grid.js';
export type { StudyConfig, StudyConfigInput } from './grid.js';
export { getPreset, presetNames } from './presets.js';
export { readStudy, openStudy, readTrialRecord, writeTrialRecord, trialDir, STUDY_FILE, TRIALS_DIR, TRIAL_FILE } from './store.js';
export { runStudy } from './runner.js';
export type { RunStudyOptions, RunStudySummary } from './runner.js';
export { runTrial, downsampleCurve } from './trial.js';
