import type { TrainingConfigInput } from '../../src/training/index.js';

/** A tiny U-Net on small 2D phantoms: a training run of a few iterations takes well under a second. */
export function tinyConfig(overrides: Partial<TrainingConfigInput> = {}): TrainingConfigInput {
  return {
    seed: 3,
    network: { name: 'unet2d', options: { depth: 2, baseFilters: 4 } },
    loss: { name: 'gdl' },
    optimizer: { learningRate: 1e-2 },
    iterations: 8,
    batchSize: 2,
    patchSize: [16, 16],
    data: { synthetic: { dims: 2, cases: 4, size: 24, foregroundFraction: 0.03, lesionShape: 'blobs' } },
    checkpoint: { every: 4, keep: 2 },
    scoreWindow: 4,
    ...overrides,
  };
}
