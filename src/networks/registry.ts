import type * as tf from '@tensorflow/tfjs';
import { didYouMean } from '../common/didYouMean.js';
import type { NetworkGeometry } from './common.js';
import { deepMedic, deepMedicGeometry, type DeepMedicOptions } from './deepMedic.js';
import { highResNet, highResNetGeometry, type HighResNetOptions } from './highResNet.js';
import { twoPathCnn, twoPathCnnGeometry, type TwoPathCnnOptions } from './twoPathCnn.js';
import { unet2d, unet2dGeometry, type UNet2DOptions } from './unet2d.js';
import { unet3d, unet3dGeometry, type UNet3DOptions } from './unet3d.js';

/** The options type of each registered network. */
export interface NetworkOptionsMap {
  unet2d: UNet2DOptions;
  twoPathCnn: TwoPathCnnOptions;
  deepMedic: DeepMedicOptions;
  highResNet: HighResNetOptions;
  unet3d: UNet3DOptions;
}

export type NetworkName = keyof NetworkOptionsMap;

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

/** The registered network names, 2D first. */
export const networkNames: readonly NetworkName[] = ['unet2d', 'twoPathCnn', 'deepMedic', 'highResNet', 'unet3d'];

function entry(name: string, caller: string): Entry<NetworkName> {
  if (!(networkNames as readonly string[]).includes(name)) {
    throw new Error(`${caller}: unknown network '${name}'${didYouMean(name, networkNames)}`);
  }
  return REGISTRY[name as NetworkName] as unknown as Entry<NetworkName>;
}

export function isNetworkName(name: string): name is NetworkName {
  return (networkNames as readonly string[]).includes(name);
}

/**
 * Builds a network by name (e.g. from a config file or a CLI flag):
 * `getNetwork('highResNet', { inputChannels: 3, classes: 2 })`. An unknown name throws
 * `getNetwork: unknown network 'unet' ...; did you mean 'unet2d'?`.
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
