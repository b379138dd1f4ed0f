/** gendice's custom layers, each registered with `tf.serialization.registerClass` on import. */
export { BatchNormalizationND, type BatchNormalizationNDArgs } from './batchNormalizationND.js';
export { ChannelPadding, type ChannelPaddingArgs } from './channelPadding.js';
export { CroppingND, type CroppingNDArgs } from './croppingND.js';
export { InstanceNormalization, type InstanceNormalizationArgs } from './instanceNormalization.js';
export { Maxout, type MaxoutArgs } from './maxout.js';
export { SpatialSizeCheck, sizeError, type SizeRule } from './spatialSizeCheck.js';
export { UpSampling3D, type UpSampling3DArgs } from './upSampling3d.js';
