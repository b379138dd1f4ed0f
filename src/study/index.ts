export type { CurvePoint, StudyResults, TrialParameters, TrialRecord, TrialStatus } from './types.js';
export { studyConfigSchema, parseStudyConfig, readStudyConfig, expandGrid, trialId, trialTrainingConfig } from './grid.js';
export type { StudyConfig, StudyConfigInput } from './grid.js';
export { getPreset, presetNames } from './presets.js';
export {
  readStudy,
  readStudyConfigFile,
  openStudy,
  inspectTrialRecord,
  readTrialRecord,
  writeTrialRecord,
  setTrialRecordAside,
  studyProtocolMix,
  InvalidTrialRecordError,
  trialDir,
  trialRecordPath,
  STUDY_FILE,
  TRIALS_DIR,
  TRIAL_FILE,
} from './store.js';
export type { ReadStudyOptions, TrialRecordState } from './store.js';
export { trialRecordSchema, serializeTrialRecord, deserializeTrialRecord, trialRecordMismatch } from './trialRecord.js';
export { STUDY_PROTOCOL, PROTOCOL_CHANGES, protocolRange, protocolMix, recordProtocol } from './protocol.js';
export type { ProtocolChange, ProtocolMember } from './protocol.js';
export { runStudy } from './runner.js';
export type { RunStudyOptions, RunStudySummary } from './runner.js';
export { runTrial, downsampleCurve, unfinishedTrialRecord } from './trial.js';
export { computeFindings } from './findings.js';
export type { Finding, FindingsOptions } from './findings.js';
export { writeReport } from './report/index.js';
