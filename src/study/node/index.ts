/** The study's Node-only parts: the results store on disk, the worker-process runner, one trial's run. */
export {
  readStudy,
  readStudyConfigFile,
  openStudy,
  inspectTrialRecord,
  readTrialRecord,
  writeTrialRecord,
  recordChecksum,
  setTrialRecordAside,
  clearTrialFolder,
  studyProtocolMix,
  InvalidTrialRecordError,
  trialDir,
  trialRecordPath,
  STUDY_FILE,
  TRIALS_DIR,
  TRIAL_FILE,
} from './store.js';
export type { ReadStudyOptions, TrialRecordState } from './store.js';
export { runStudy } from './runner.js';
export type { RunStudyOptions, RunStudySummary } from './runner.js';
export { runTrial, downsampleCurve, unfinishedTrialRecord } from './trial.js';
export { readStudyConfig } from './studyConfigFile.js';
