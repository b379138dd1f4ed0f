export { slidingWindowInference, probabilitiesToLabels, windowStarts, inferenceWindow, INFERENCE_WINDOW_VOXELS } from './slidingWindow.js';
export { BLENDING_MODES } from './slidingWindow.js';
export type { Blending, OutputActivation as InferenceActivation, Predictor, SlidingWindowOptions, SlidingWindowResult } from './slidingWindow.js';
export { predictVolume } from './predictVolume.js';
export type { PredictVolumeOptions, VolumePrediction } from './predictVolume.js';
export { predictEnsemble, checkEnsembleCards } from './predictVolume.js';
export type { EnsembleMember } from './predictVolume.js';
export { flipSpatialAxes, mirroredPredictor, mirrorAxes } from './mirroring.js';
export { connectedComponents, keepLargestComponent, CONNECTIVITIES } from './connectedComponents.js';
export type { Connectivity, ConnectedComponents } from './connectedComponents.js';
export {
  applyPostprocessing,
  combinePostprocessing,
  decidePostprocessing,
  parsePostprocessing,
  postprocessedLabels,
  PostprocessingEvidence,
  postprocessingJson,
  POSTPROCESSING_FILE,
  POSTPROCESSING_FORMAT,
} from './postprocessing.js';
export type { PostprocessingCase, PostprocessingPlan, StructurePostprocessing } from './postprocessing.js';
