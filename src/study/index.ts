/** gendice studies, universal parts: grids, presets, records and protocols, findings. Stores, runners, the queue and report files: ./node/, exported by gendice/node. */
export type { CurvePoint, StudyResults, TrialParameters, TrialRecord, TrialStatus } from './types.js';
export { studyConfigSchema, parseStudyConfig, expandGrid, trialId, trialTrainingConfig } from './grid.js';
export type { StudyConfig, StudyConfigInput } from './grid.js';
export { getPreset, presetNames } from './presets.js';
export { trialRecordSchema, serializeTrialRecord, deserializeTrialRecord, trialRecordMismatch, canonicalRecordText } from './trialRecord.js';
export { STUDY_PROTOCOL, PROTOCOL_CHANGES, protocolRange, protocolMix, recordProtocol } from './protocol.js';
export type { ProtocolChange, ProtocolMember } from './protocol.js';
export { computeFindings } from './findings/index.js';
export type { Finding, FindingsOptions } from './findings/index.js';
