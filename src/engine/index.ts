/** gendice's training engine: engine providers and their selection, kernel sets under TF.js, missing gradients. */
export {
  selectEngine,
  engineInfo,
  resetEngine,
  registerEngineProvider,
  registeredEngines,
  defaultEngineOrder,
  ENGINE_NAMES,
  ENGINE_ENV,
} from './select.js';
export type { EngineName, EngineInfo, SelectEngineOptions, EngineProvider, EngineActivation, AddonStatus } from './select.js';
export type { NativeAddon, NativeMemoryKernels } from './nativeAddon.js';
export type { ReplacedKernel, KernelSource } from './kernelRegistry.js';
export { installMissingGradients, type GradientInstallReport } from './gradients/index.js';
export { fixWebglFloatPrecision } from './webglPrecision.js';
export { MAXOUT_KERNEL, MAXOUT_GRAD_KERNEL } from './maxout.js';
export { fusedOptimizerAvailable, fusedAdamUpdate, fusedMomentumUpdate, type AdamScalars } from './optimizerUpdate.js';
export {
  SOFTMAX_OVERLAP_KERNEL,
  SOFTMAX_OVERLAP_GRAD_KERNEL,
  softmaxOverlapAvailable,
  softmaxStatisticsAvailable,
  fusedSoftmaxOverlap,
  fusedSoftmaxStatistics,
  type SoftmaxSum,
} from './softmaxOverlap.js';
export { firstBreak, type ValueRule } from './valueScan.js';
export { nativeWindowBlend, type NativeWindowBlend } from './windowBlend.js';
export { tensorPasses } from './valueScan.js';
export { outputPoolStatistics, OUTPUT_POOL_ENV, type OutputPoolStatistics } from './outputArrays.js';
