/** gendice data layer: NIfTI, orientation, normalisation, patch sampling, augmentation, phantoms (datasets and synthetic datasets on disk: src/data/node/, exported by src/node.ts). */
export {
  NIFTI_DATATYPES,
  allocateVoxels,
  bytesPerVoxel,
  channelsLastToVolume,
  createVolume,
  datatypeOf,
  diagonalAffine,
  volumeToChannelsLast,
  voxelsPerChannel,
  withData,
  type CreateVolumeOptions,
  type NiftiDatatype,
  type NiftiHeaderInfo,
  type Volume,
  type VoxelArray,
} from './volume.js';
export { NiftiError } from './nifti/niftiError.js';
export { parseNifti } from './nifti/parse.js';
export { encodeNifti, type EncodeNiftiOptions } from './nifti/encode.js';
export { type ReadNiftiOptions, type WriteNiftiOptions } from './nifti/options.js';
export { orientationCodes, reorient, toCanonical, undoReorientation, type AxisCodes, type OrientationTransform } from './orientation.js';
export { clipPercentiles, remapLabels, zScore, type NormalizationMask } from './normalization.js';
export {
  PatchSampler,
  type ForegroundFractionStatistics,
  type PatchBatch,
  type PatchSamplerOptions,
  type PatchSamplerState,
  type SamplerCase,
  type SamplingMode,
  SAMPLING_MODES,
} from './patchSampler.js';
export { Augmenter, trainingAugmenter, type AugmenterState } from './augmentation.js';
export {
  AUGMENTATION_TRANSFORMS,
  augmentationSchema,
  resolveAugmentation,
  type AugmentationConfig,
  type AugmentationConfigInput,
  type ResolvedAugmentation,
} from './augmentationConfig.js';
export { LESION_SHAPES, SYNTH_LESION_SHAPES, generatePhantom, type LesionShape, type SynthLesionShape, type Phantom, type PhantomOptions } from './phantom.js';
export {
  IMAGE_INTERPOLATIONS,
  LABEL_INTERPOLATIONS,
  labelValues,
  resampledAffine,
  resampleImage,
  resampleLabels,
  sourceCoordinate,
  type ImageInterpolation,
  type LabelInterpolation,
  type ResampleImageOptions,
  type ResampleLabelsOptions,
} from './resample.js';
export {
  ANISOTROPY_THRESHOLD,
  PREDICTION_KINDS,
  fromTargetGrid,
  separateAxisFor,
  targetShapeFor,
  toTargetGrid,
  type FromTargetGridOptions,
  type GridTransform,
  type PredictionKind,
  type ToTargetGridOptions,
} from './geometry.js';
export {
  INTENSITY_SCHEMES,
  nonzeroMask,
  normalizeIntensities,
  schemeForModality,
  type ChannelNormalization,
  type CtStatistics,
  type IntensityScheme,
} from './intensity.js';
export {
  caseFingerprint,
  datasetFingerprint,
  type CaseFingerprint,
  type CaseFingerprintOptions,
  type DatasetFingerprint,
  type DatasetFingerprintOptions,
  type LabelShare,
  type ModalityStatistics,
} from './fingerprint.js';
export {
  MEMORY_MODEL,
  estimateTrainingBytes,
  planFromFingerprint,
  poolingTopology,
  targetSpacingFor,
  type Plan,
  type PlanOptions,
  type PoolingTopology,
} from './plan.js';
export {
  REALISTIC_LABELS,
  REALISTIC_MODALITIES,
  generateRealisticPhantom,
  type RealisticPhantom,
  type RealisticPhantomOptions,
} from './realisticPhantom.js';
