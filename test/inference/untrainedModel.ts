import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelCard } from '../../src/networks/modelCard.js';
import { saveModel } from '../../src/networks/node/modelFiles.js';
import { writeModelCard } from '../../src/networks/node/modelCardFile.js';
import { getNetwork } from '../../src/networks/registry.js';

/** The card of a small untrained 2D U-Net (patch 16², one input channel) of `classes` classes. */
export function untrainedCard(seed: number, classes = 2, normalization: ModelCard['normalization'] = 'zscore'): ModelCard {
  return {
    network: { name: 'unet2d', options: { depth: 2, baseFilters: 4, classes, inputChannels: 1, outputActivation: 'none', seed } },
    patchSize: [16, 16],
    normalization,
    classes,
    inputChannels: 1,
    loss: 'gdl',
  };
}

/** Writes an untrained model folder (model.json, weights.bin, gendice.json) `root/name` and returns its path. */
export async function untrainedModelFolder(root: string, name: string, seed: number, classes = 2): Promise<string> {
  const card = untrainedCard(seed, classes);
  const folder = join(root, name);
  mkdirSync(folder, { recursive: true });
  const model = getNetwork('unet2d', card.network.options);
  await saveModel(model, folder);
  model.dispose();
  writeModelCard(folder, card);
  return folder;
}
