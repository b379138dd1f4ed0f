/** gendice data layer: NIfTI, orientation, datasets, normalisation, patch sampling, augmentation, phantoms. */
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
// Node-only (files); they move to the `gendice/node` entry with the other file functions.
export { readNifti, writeNifti } from './node/niftiFiles.js';
export { orientationCodes, reorient, toCanonical, undoReorientation, type AxisCodes, type OrientationTransform } from './orientation.js';
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
} from './dataset.js';
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
export { Augmenter, type AugmentationOptions } from './augmentation.js';
export { LESION_SHAPES, SYNTH_LESION_SHAPES, generatePhantom, type LesionShape, type SynthLesionShape, type Phantom, type PhantomOptions } from './phantom.js';
export {
  writeSyntheticDataset,
  type SynthCaseReport,
  type SynthOptions,
  type SynthReport,
} from './synth.js';
