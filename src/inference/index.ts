export { slidingWindowInference, probabilitiesToLabels, windowStarts, inferenceWindow, INFERENCE_WINDOW_VOXELS } from './slidingWindow.js';
export { BLENDING_MODES } from './slidingWindow.js';
export type { Blending, OutputActivation as InferenceActivation, Predictor, SlidingWindowOptions, SlidingWindowResult } from './slidingWindow.js';
export { predictVolume } from './predictVolume.js';
export type { PredictVolumeOptions, VolumePrediction } from './predictVolume.js';
