import type * as tf from '@tensorflow/tfjs';
import type { NetworkGeometry } from './networkGeometry.js';
import { buildUNet, type UNetOptions, uNetGeometry } from './unet.js';

export type UNet2DOptions = UNetOptions;

const DEFAULTS = { depth: 4, baseFilters: 16, normalization: 'none' as const };

/**
 * 2D U-Net (Ronneberger, Fischer & Brox, MICCAI 2015), one of the paper's two 2D networks.
 *
 * ```
 * input ─ [conv3-ReLU]×2 ─────────────────────────────── concat ─ [conv3-ReLU]×2 ─ conv1 ─ output
 *           └ maxpool2 ─ [conv3-ReLU]×2 ──── concat ─ [..]×2 ─ up2 ┘
 *                          └ maxpool2 ─ … ─ up2 ┘            (depth levels, filters doubling)
 * ```
 * Defaults: depth 4 (four 2× poolings, filters 16-32-64-128-256), 'same' padding (so the output has
 * the input's size; the original used 'valid' convolutions and cropped skips), no normalisation (as
 * the original), 2×2 transposed convolutions up, dropout (if any) at the bottleneck, softmax output.
 * Input sizes: each spatial size a multiple of 2^depth (16 by default), else
 * `unet2d: input size 100 is not divisible by 2^4 = 16`.
 * Receptive field (default): 200 pixels. Parameters (default, 1 input channel, 2 classes): 1,940,834.
 * Per-axis `strides` and `convKernels` (two numbers per entry) as `unet3d`'s.
 */
export function unet2d(options: UNet2DOptions = {}): tf.LayersModel {
  return buildUNet('unet2d', 2, options, DEFAULTS);
}

/** Receptive field, size rule and output shape of `unet2d` with these options. */
export function unet2dGeometry(options: UNet2DOptions = {}): NetworkGeometry {
  return uNetGeometry('unet2d', 2, options, DEFAULTS);
}
