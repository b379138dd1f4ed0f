export { slidingWindowInference, probabilitiesToLabels, windowStarts, inferenceWindow, INFERENCE_WINDOW_VOXELS } from './slidingWindow.js';
export { BLENDING_MODES } from './slidingWindow.js';
export type { Blending, OutputActivation as InferenceActivation, Predictor, SlidingWindowOptions, SlidingWindowResult } from './slidingWindow.js';
export { predictVolume, predictFiles, listNiftiInputs } from './predict.js';
export type { PredictVolumeOptions, VolumePrediction, PredictFilesResult } from './predict.js';
