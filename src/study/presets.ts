import { oneOf } from '../common/options.js';
import { PAPER_LOSS_NAMES } from '../losses/registry.js';
import { parseStudyConfig, type StudyConfig, type StudyConfigInput } from './grid.js';

const paperLosses = PAPER_LOSS_NAMES.map((name) => ({ name }));

/**
 * Built-in studies.
 * - `quick`: a reduced 2D grid (U-Net, the paper's four losses, learning rates 1e-2 and 1e-3, two
 *   patch sizes, two seeds, 150 iterations) that runs in a few minutes on 2 cores: a smoke test of
 *   the whole protocol and the report, not evidence for the findings.
 * - `paper-2d`: the paper's 2D protocol on synthetic phantoms: U-Net and TwoPathCNN, the four losses,
 *   learning rates 1e-3, 1e-4, 1e-5, three patch sizes per network with batch sizes that shrink as
 *   patches grow (foreground-only sampling, so bigger patches are more unbalanced), 1000 iterations,
 *   score = median Dice of the last 200 iterations, three seeds for intervals. The networks keep
 *   their architectures at reduced widths (U-Net 3 levels from 8 filters, TwoPathCNN 16/32 maps) so
 *   that one seed's 72 trials run in about an hour on 2 CPU cores.
 * - `paper-3d`: the 3D protocol: DeepMedic and HighResNet on 3D phantoms whose lesions are 0.2% of
 *   the volume (patch fractions reach the paper's ~0.02%), 3000 iterations, the largest setting one
 *   85³ patch per step. Weeks on a 2-core CPU (docs/study.md has the measured costs).
 * - `paper-3d-small`: the 3D protocol scaled to what a 2-core CPU runs in about 1.5 hours: paper-3d's
 *   phantoms, DeepMedic with its two pathways and eight layers at about a third of its width, input
 *   patches 51³×4, 63³×2, 75³×1 (outputs 3³, 15³, 27³), the four losses, the three learning rates,
 *   600 iterations, one seed. HighResNet is left out: even at a quarter of its width (filters
 *   [8, 8, 16, 16], one block per stage) an iteration costs 0.7-0.9 s, three times DeepMedic's.
 */
const presets: Record<string, StudyConfigInput> = {
  quick: {
    name: 'quick',
    data: { synthetic: { dims: 2, cases: 10, size: 96, foregroundFraction: 0.005, lesionShape: 'blobs' }, validationFraction: 0.2, testFraction: 0.2 },
    networks: [
      {
        name: 'unet2d',
        options: { depth: 2, baseFilters: 8 },
        patches: [
          { patchSize: [32, 32], batchSize: 8 },
          { patchSize: [64, 64], batchSize: 2 },
        ],
      },
    ],
    losses: paperLosses,
    learningRates: [1e-2, 1e-3],
    seeds: [1, 2],
    iterations: 150,
    scoreWindow: 50,
  },
  'paper-2d': {
    name: 'paper-2d',
    data: { synthetic: { dims: 2, cases: 40, size: 128, foregroundFraction: 0.01, lesionShape: 'mixed' }, validationFraction: 0.1, testFraction: 0.1 },
    networks: [
      {
        name: 'unet2d',
        options: { depth: 3, baseFilters: 8 },
        patches: [
          { patchSize: [32, 32], batchSize: 16 },
          { patchSize: [64, 64], batchSize: 4 },
          { patchSize: [96, 96], batchSize: 2 },
        ],
      },
      {
        name: 'twoPathCnn',
        options: { localFilters: 16, globalFilters: 32 },
        patches: [
          { patchSize: [33, 33], batchSize: 16 },
          { patchSize: [65, 65], batchSize: 4 },
          { patchSize: [97, 97], batchSize: 2 },
        ],
      },
    ],
    losses: paperLosses,
    learningRates: [1e-3, 1e-4, 1e-5],
    seeds: [1, 2, 3],
    iterations: 1000,
    scoreWindow: 200,
  },
  'paper-3d': {
    name: 'paper-3d',
    data: { synthetic: { dims: 3, cases: 40, size: 96, foregroundFraction: 0.002, lesionShape: 'punctate' }, validationFraction: 0.1, testFraction: 0.1 },
    networks: [
      {
        name: 'deepMedic',
        options: {},
        patches: [
          { patchSize: [51, 51, 51], batchSize: 4 },
          { patchSize: [69, 69, 69], batchSize: 2 },
          { patchSize: [87, 87, 87], batchSize: 1 },
        ],
      },
      {
        name: 'highResNet',
        options: {},
        patches: [
          { patchSize: [45, 45, 45], batchSize: 4 },
          { patchSize: [65, 65, 65], batchSize: 2 },
          { patchSize: [85, 85, 85], batchSize: 1 },
        ],
      },
    ],
    losses: paperLosses,
    learningRates: [1e-3, 1e-4, 1e-5],
    seeds: [1, 2, 3],
    iterations: 3000,
    scoreWindow: 200,
  },
  'paper-3d-small': {
    name: 'paper-3d-small',
    data: { synthetic: { dims: 3, cases: 40, size: 96, foregroundFraction: 0.002, lesionShape: 'punctate' }, validationFraction: 0.1, testFraction: 0.1 },
    networks: [
      {
        name: 'deepMedic',
        options: { pathwayFilters: [10, 10, 12, 12, 12, 12, 15, 15], fullyConnected: [50, 50] },
        patches: [
          { patchSize: [51, 51, 51], batchSize: 4 },
          { patchSize: [63, 63, 63], batchSize: 2 },
          { patchSize: [75, 75, 75], batchSize: 1 },
        ],
      },
    ],
    losses: paperLosses,
    learningRates: [1e-3, 1e-4, 1e-5],
    seeds: [1],
    iterations: 600,
    scoreWindow: 200,
  },
};

export const presetNames = Object.keys(presets);

/** A built-in study by name; an unknown name throws with the closest one. */
export function getPreset(name: string): StudyConfig {
  const p = presets[oneOf('getPreset', 'name', name, presetNames)]!;
  return parseStudyConfig(p, `preset ${name}`);
}
