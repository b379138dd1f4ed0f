/** gendice networks: the paper's four networks and a 3D U-Net, their custom layers, the model card and model folders in memory (URLs, picked files). */
export { NORMALIZATIONS, COMMON_OPTION_NAMES, type CommonNetworkOptions, type Normalization, type OutputActivation, type SpatialDims } from './networkOptions.js';
export type { NetworkGeometry } from './networkGeometry.js';
export { ReceptiveField } from './receptiveField.js';
export { unet2d, unet2dGeometry, type UNet2DOptions } from './unet2d.js';
export { UNET_UPSAMPLINGS, type UNetUpsampling } from './unet.js';
export { unet3d, unet3dGeometry, type UNet3DOptions } from './unet3d.js';
export { twoPathCnn, twoPathCnnGeometry, type TwoPathCnnOptions } from './twoPathCnn.js';
export { deepMedic, deepMedicGeometry, type DeepMedicOptions } from './deepMedic.js';
export { highResNet, highResNetGeometry, type HighResNetOptions } from './highResNet.js';
export {
  getNetwork,
  getNetworkGeometry,
  isNetworkName,
  networkInfo,
  NETWORK_NAMES,
  checkNetworkOptions,
  checkPatchSize,
  type NetworkName,
  type NetworkOptionsMap,
} from './registry.js';
export { MODEL_CARD, MODEL_CARD_NORMALIZATIONS, modelCardJson, parseModelCard, type ModelCard, type ModelCardNormalization } from './modelCard.js';
export {
  MODEL_JSON,
  WEIGHTS_BIN,
  loadModelFromArtifacts,
  saveModelToArtifacts,
  type FileContent,
  type LoadedModel,
  type ModelFolderFiles,
} from './modelFolder.js';
export { downloadModelFolder, loadModelFromFiles, loadModelFromUrl, modelFolderUrl, type LoadModelFromUrlOptions, type NamedBlob } from './modelSources.js';
export * from './layers/index.js';
