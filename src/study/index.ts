export type { CurvePoint, StudyResults, TrialParameters, TrialRecord, TrialStatus } from './types.js';
export { studyConfigSchema, parseStudyConfig, readStudyConfig, expandGrid, trialId, trialTrainingConfig } from './grid.js';
export type { StudyConfig, StudyConfigInput } from './grid.js';
export { getPreset, presetNames } from './presets.js';
export { trialRecordSchema, serializeTrialRecord, deserializeTrialRecord, trialRecordMismatch, canonicalRecordText } from './trialRecord.js';
export { STUDY_PROTOCOL, PROTOCOL_CHANGES, protocolRange, protocolMix, recordProtocol } from './protocol.js';
export type { ProtocolChange, ProtocolMember } from './protocol.js';
export { computeFindings } from './findings/index.js';
export type { Finding, FindingsOptions } from './findings/index.js';
export { writeReport } from './report/node/index.js';
// Node-only (files, worker processes): to be exported by the Node entry alone once the entries are split.
export * from './node/index.js';
