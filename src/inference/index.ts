export { slidingWindowInference, probabilitiesToLabels, windowStarts, inferenceWindow, INFERENCE_WINDOW_VOXELS } from './slidingWindow.js';
export { BLENDING_MODES } from './slidingWindow.js';
export type { Blending, OutputActivation as InferenceActivation, Predictor, SlidingWindowOptions, SlidingWindowResult } from './slidingWindow.js';
export { predictVolume, predictFiles, listNiftiInputs, readModelCard, writeModelCard, MODEL_CARD } from './predict.js';
export type { ModelCard, PredictVolumeOptions, VolumePrediction, PredictFilesResult } from './predict.js';
export { evaluateFolders } from './evaluateFolders.js';
