import type * as tf from '@tensorflow/tfjs';
import { isOneOf, oneOf } from '../common/options.js';
import type { NetworkGeometry } from './networkGeometry.js';
import { resolveCommon } from './networkOptions.js';
import { deepMedic, deepMedicGeometry, type DeepMedicOptions } from './deepMedic.js';
import { highResNet, highResNetGeometry, type HighResNetOptions } from './highResNet.js';
import { twoPathCnn, twoPathCnnGeometry, type TwoPathCnnOptions } from './twoPathCnn.js';
import { unet2d, unet2dGeometry, type UNet2DOptions } from './unet2d.js';
import { unet3d, unet3dGeometry, type UNet3DOptions } from './unet3d.js';

/** The options type of each registered network. */
export interface NetworkOptionsMap extends Record<NetworkName, object> {
  unet2d: UNet2DOptions;
  twoPathCnn: TwoPathCnnOptions;
  deepMedic: DeepMedicOptions;
  highResNet: HighResNetOptions;
  unet3d: UNet3DOptions;
}

/** The registered network names, 2D first. */
export const NETWORK_NAMES = ['unet2d', 'twoPathCnn', 'deepMedic', 'highResNet', 'unet3d'] as const;
export type NetworkName = (typeof NETWORK_NAMES)[number];

interface Entry<N extends NetworkName> {
  create(options: NetworkOptionsMap[N]): tf.LayersModel;
  geometry(options: NetworkOptionsMap[N]): NetworkGeometry;
  dims: 2 | 3;
  paper: string;
}

const REGISTRY: { [N in NetworkName]: Entry<N> } = {
  unet2d: { create: unet2d, geometry: unet2dGeometry, dims: 2, paper: 'Ronneberger et al., MICCAI 2015' },
  twoPathCnn: { create: twoPathCnn, geometry: twoPathCnnGeometry, dims: 2, paper: 'Havaei et al., MedIA 2017' },
  deepMedic: { create: deepMedic, geometry: deepMedicGeometry, dims: 3, paper: 'Kamnitsas et al., MedIA 2017' },
  highResNet: { create: highResNet, geometry: highResNetGeometry, dims: 3, paper: 'Li et al., IPMI 2017' },
  unet3d: { create: unet3d, geometry: unet3dGeometry, dims: 3, paper: 'Çiçek et al., MICCAI 2016' },
};

function entry(name: string, caller: string): Entry<NetworkName> {
  return REGISTRY[oneOf(caller, 'name', name, NETWORK_NAMES)] as unknown as Entry<NetworkName>;
}

export function isNetworkName(name: string): name is NetworkName {
  return isOneOf(name, NETWORK_NAMES);
}

/**
 * Builds a network by name (e.g. from a config file or a CLI flag):
 * `getNetwork('highResNet', { inputChannels: 3, classes: 2 })`. An unknown name throws
 * `getNetwork: name must be one of 'unet2d', ...; got 'unet' (did you mean 'unet2d'?)`.
 */
export function getNetwork<N extends NetworkName>(name: N, options?: NetworkOptionsMap[N]): tf.LayersModel;
export function getNetwork(name: string, options?: object): tf.LayersModel;
export function getNetwork(name: string, options: object = {}): tf.LayersModel {
  return entry(name, 'getNetwork').create(options);
}

/** Receptive field, accepted sizes and output shape of a network by name, without building it. */
export function getNetworkGeometry<N extends NetworkName>(name: N, options?: NetworkOptionsMap[N]): NetworkGeometry;
export function getNetworkGeometry(name: string, options?: object): NetworkGeometry;
export function getNetworkGeometry(name: string, options: object = {}): NetworkGeometry {
  return entry(name, 'getNetworkGeometry').geometry(options);
}

/** Spatial dimensionality (2 or 3) and the paper of a network by name. */
export function networkInfo(name: string): { dims: 2 | 3; paper: string } {
  const e = entry(name, 'networkInfo');
  return { dims: e.dims, paper: e.paper };
}

/**
 * Checks a network's options without building anything: its own options (as its geometry reads
 * them) and the common ones (`inputChannels`, `normalization`, `dropout`, ...). Throws the network's
 * `OptionError` (`unet2d: unknown option 'dpeth' (did you mean 'depth'?); ...`).
 */
export function checkNetworkOptions(name: string, options: object = {}): void {
  const e = entry(name, 'checkNetworkOptions');
  e.geometry(options);
  resolveCommon(name, e.dims, options, 'none');
}

/**
 * Checks that `name` with `options` takes a patch of `patchSize` (its spatial sizes, 2 or 3 numbers),
 * without building it; returns the network's output size for that patch. Throws the network's size
 * error (`unet2d: input size 100 is not divisible by 2^4 = 16`).
 */
export function checkPatchSize(name: string, options: object, patchSize: readonly number[]): number[] {
  return entry(name, 'checkPatchSize').geometry(options).outputShapeFor(patchSize);
}
