/**
 * The browser bundle's entry (dist/browser/gendice.js, built by scripts/build-browser.mjs): the universal
 * API, and `tf`, the TF.js namespace gendice uses, with its cpu, WebGL and WebGPU backends in the same
 * bundle. `await selectEngine()` picks webgpu where the browser has it, else webgl, else cpu. Models saved in
 * Node load with `loadModelFromUrl`/`loadModelFromFiles` and save with `saveModelToArtifacts`/`downloadModelFolder`
 * (docs/browser.md).
 *
 * On import it runs `installMissingGradients()`: gendice's gradients, TF.js's reported WebGL precision
 * corrected (so `tf.train.adam(lr)` gets epsilon 1e-7 on float32 WebGL, as on cpu, even without
 * selectEngine) and webgl's rank-5 padding.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { installMissingGradients } from './engine/gradients/index.js';

installMissingGradients();

export * from './index.js';
export { tf };
