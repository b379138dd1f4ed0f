/** gendice's training engine: kernel sets under TF.js (oneDNN native, fast JS, wasm fallback) and their selection. */
export { selectEngine, engineInfo, resetEngine, ENGINE_NAMES, ENGINE_ENV } from './select.js';
export type { EngineName, EngineInfo, SelectEngineOptions } from './select.js';
export { loadAddon, defaultAddonPath, ADDON_PATH_ENV } from './node/addon.js';
export type { AddonLoad, NativeAddon } from './node/addon.js';
export type { ReplacedKernel, KernelSource } from './kernelRegistry.js';
export { installMissingGradients, type GradientInstallReport } from './gradients/index.js';
export { MAXOUT_KERNEL, MAXOUT_GRAD_KERNEL } from './maxout.js';
