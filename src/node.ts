/**
 * gendice/node: everything in `gendice` (the universal API, src/index.ts) plus what needs Node: files and
 * folders (NIfTI, datasets, models, checkpoints, study stores, reports), the `native` (oneDNN addon) and
 * `wasm` engines, train/resume on disk, studies and their worker processes. Importing it registers the
 * `native` and `wasm` engine providers, so `selectEngine()` picks `native`, else `wasm`, as before.
 */
import './engine/node/index.js';

export * from './index.js';
export { version } from './node/version.js';

// common: durable writes, configuration files
export { writeFileAtomic } from './common/node/atomicWrite.js';
export { parseWithSchema } from './common/configSchema.js';
export { readJsonOrYaml } from './common/node/configFile.js';

// data: NIfTI files, datasets on disk, synthetic datasets on disk
export { readNifti, writeNifti } from './data/node/niftiFiles.js';
export {
  checkGeometry,
  checkLabelValues,
  loadCase,
  loadCaseList,
  loadDecathlon,
  splitCases,
  type CaseEntry,
  type DatasetDescription,
  type GeometryTolerance,
  type LoadCaseOptions,
  type LoadedCase,
  type SplitOptions,
} from './data/node/dataset.js';
export { groupCaseFiles, caseFilesInFolder, type CaseFiles, type GroupCaseFilesOptions } from './data/node/caseFiles.js';
export {
  writeSyntheticDataset,
  type SynthCaseReport,
  type SynthOptions,
  type SynthReport,
} from './data/node/synth.js';

// engine: the addon loader and the Node engines
export { loadAddon, defaultAddonPath, ADDON_PATH_ENV, nativeProvider, wasmProvider, registerNodeEngines } from './engine/node/index.js';
export type { AddonLoad } from './engine/node/index.js';

// metrics: evaluation report files
export { writeEvaluation } from './metrics/node/evaluationFile.js';

// networks: model folders
export { loadModel, modelDirectory, saveModel } from './networks/node/modelFiles.js';

// networks: model card files
export { readModelCard, writeModelCard } from './networks/node/modelCardFile.js';

// inference: prediction (with its files), folder evaluation
export { predictFiles, listNiftiInputs } from './inference/node/predictFiles.js';
export type { PredictFilesResult } from './inference/node/predictFiles.js';
export { evaluateFolders } from './inference/node/evaluateFolders.js';
export { readPostprocessing, writePostprocessing } from './inference/node/postprocessingFile.js';

// training on disk
export * from './training/index.js';
export * from './training/node/index.js';

// studies
export * from './study/index.js';
export * from './study/node/index.js';
export * from './study/report/node/index.js';
