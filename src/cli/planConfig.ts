import { relative } from 'node:path';
import type { Plan } from '../data/plan.js';
import { networkAcceptsOptions } from '../training/node/planData.js';

const list = (values: readonly number[]): string => `[${values.join(', ')}]`;

/**
 * A complete training configuration for a plan, as commented YAML (`train.yaml` beside plan.json) that
 * `gendice train --config` reads as is. `configDir` is where it is written (paths are relative to it).
 */
export function trainingConfigYaml(plan: Plan, planPath: string, datasetDir: string, configDir: string): string {
  const rel = (p: string): string => JSON.stringify(relative(configDir, p) || '.');
  const n = plan.network;
  const perAxis = networkAcceptsOptions(n.name, { depth: n.depth, baseFilters: n.baseFilters, strides: n.strides, convKernels: n.convKernels });
  const perAxisLines = [
    `    # Pooling stride per axis for each of the ${n.depth} down-samplings (1 keeps a coarse axis) and the`,
    '    # convolution kernel per axis for each level, bottleneck last (nnU-Net\'s rule from the target spacing).',
    `    ${perAxis ? '' : '# '}strides: ${JSON.stringify(n.strides)}`,
    `    ${perAxis ? '' : '# '}convKernels: ${JSON.stringify(n.convKernels)}`,
    ...(perAxis ? [] : [`    # (commented out: ${n.name} of this gendice does not take per-axis strides and kernels)`]),
  ];
  return [
    `# Training configuration for ${plan.dataset}, written by gendice plan. Run: gendice train --config <this file>`,
    '# Every field may be edited; where a field here differs from plan.json, this file wins.',
    '',
    '# The plan: cases go to RAS and its target spacing',
    `# (${list(plan.targetSpacing)} mm; images ${plan.resampling.image}, labels ${plan.resampling.label}, a thick-slice axis ${plan.resampling.separateAxis}),`,
    `# and each channel is normalised as it says (${plan.normalization.map((c) => `${c.modality}: ${c.scheme}`).join(', ')}). Relative to this file.`,
    `plan: ${rel(planPath)}`,
    '',
    '# Seed of the weights and the patch sampling (and of the train/validation split).',
    'seed: 0',
    'network:',
    `  name: ${n.name}`,
    '  options:',
    `    depth: ${n.depth}                 # down-samplings`,
    `    baseFilters: ${n.baseFilters}          # filters of the first level, doubled per level`,
    ...perAxisLines,
    '# Generalised Dice loss (Sudre et al. 2017); options: docs/losses.md.',
    'loss:',
    '  name: gdl',
    '  options: {}',
    'optimizer:',
    '  name: adam',
    '  learningRate: 0.001',
    '  # poly: lr · (1 − iteration / iterations)^0.9, as nnU-Net',
    '  schedule:',
    '    type: poly',
    '    power: 0.9',
    '# Optimisation steps (one batch each).',
    'iterations: 1000',
    `# From the plan (memory budget ${(plan.memory.budgetBytes / 2 ** 20).toFixed(0)} MiB, estimate ${(plan.memory.estimatedBytes / 2 ** 20).toFixed(0)} MiB).`,
    `batchSize: ${plan.batchSize}`,
    `# Patch extents in RAS axis order on the target grid, multiples of ${list(n.divisibleBy)}.`,
    `patchSize: ${list(plan.patchSize)}`,
    '# foreground: patches hold foreground (the paper\'s rule); see docs/training.md for the others.',
    'sampling: foreground',
    'data:',
    '  # The Decathlon folder (dataset.json), relative to this file.',
    `  dataset: ${rel(datasetDir)}`,
    '  # Share of the training cases held out for validation and for test.',
    '  validationFraction: 0.2',
    '  testFraction: 0',
    "  # Instead of the fractions: seeded 5-fold cross-validation (or gendice train --fold k), or a split file",
    '  # {train, validation, test} of case ids. Labelled dataset.json test cases are the test set.',
    '  # folds: 5',
    '  # fold: 0',
    '  # split: split.json',
    "# On-the-fly augmentation (docs/training.md): nnU-Net's default pipeline; 'none' switches it off.",
    'augmentation: default',
    'validation:',
    '  every: 0        # validate every k iterations (0: at the end only)',
    '  overlap: 0.25   # sliding-window overlap',
    'checkpoint:',
    '  every: 100      # iterations between checkpoints (resume continues from the newest)',
    '  keep: 2',
    '# The paper\'s score: median training Dice over the last iterations.',
    'scoreWindow: 200',
    '',
  ].join('\n');
}
