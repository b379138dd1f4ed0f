import type * as tf from '@tensorflow/tfjs';
import type { NetworkGeometry } from './networkGeometry.js';
import { buildUNet, type UNetOptions, uNetGeometry } from './unet.js';

export type UNet3DOptions = UNetOptions;

const DEFAULTS = { depth: 3, baseFilters: 16, normalization: 'batch' as const };

/**
 * 3D U-Net (Çiçek, Abdulkadir, Lienkamp, Brox & Ronneberger, MICCAI 2016): the U-Net with 3×3×3
 * convolutions, 2×2×2 max-pooling and 2×2×2 transposed convolutions, batch normalisation before
 * each ReLU.
 *
 * ```
 * input ─ [conv3³-BN-ReLU]×2 ───────────────────────── concat ─ [conv3³-BN-ReLU]×2 ─ conv1³ ─ output
 *           └ maxpool2³ ─ [..]×2 ─── concat ─ [..]×2 ─ up2³ ┘
 *                           └ maxpool2³ ─ … ─ up2³ ┘          (depth levels, filters doubling)
 * ```
 * Defaults: depth 3 (filters 16-32-64-128; the original doubled within each level, 32-64 … 256-512),
 * 'same' padding, batch normalisation (gendice's `BatchNormalizationND`, as TF.js's layer rejects
 * rank 5), transposed convolutions up (trainable thanks to gendice's `Conv3DBackpropInputV2`
 * gradient), softmax output.
 * Input sizes: each spatial size a multiple of 2^depth (8 by default).
 * Receptive field (default): 96 voxels. Parameters (default, 1 input channel, 2 classes): 1,402,578.
 *
 * Anisotropic scans (nnU-Net's topology, as `gendice plan` writes it): `strides` per level and axis
 * (`[[2, 2, 1], [2, 2, 1], [2, 2, 2]]`: the third axis pooled at the last level only; depth =
 * strides.length), `convKernels` per resolution level and axis (`[[3, 3, 1], [3, 3, 1], [3, 3, 3],
 * [3, 3, 3]]`, bottleneck last), `maxFilters`; each extent a multiple of its axis's stride product.
 */
export function unet3d(options: UNet3DOptions = {}): tf.LayersModel {
  return buildUNet('unet3d', 3, options, DEFAULTS);
}

/** Receptive field, size rule and output shape of `unet3d` with these options. */
export function unet3dGeometry(options: UNet3DOptions = {}): NetworkGeometry {
  return uNetGeometry('unet3d', 3, options, DEFAULTS);
}
