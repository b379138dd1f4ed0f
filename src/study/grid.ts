import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { checkFields, parseWithSchema } from '../common/configSchema.js';
import { oneOf } from '../common/options.js';
import { LOSS_NAMES } from '../losses/registry.js';
import { NETWORK_NAMES } from '../networks/registry.js';
import { dataDimsCheck, dataSchema, lossCheck, networkChecks, OPTIMIZER_NAMES, type TrainingConfigInput } from '../training/config.js';
import type { TrialParameters } from './types.js';

const positiveInt = z.number().int().positive();
const options = z.record(z.string(), z.unknown()).default({});

/** A study: the grid of losses × learning rates × (patch, batch) pairs × networks × seeds. */
export const studyConfigSchema = z
  .object({
    name: z.string().min(1),
    /** The data every trial trains on (synthetic phantoms or a Decathlon folder), split by `splitSeed`. */
    data: dataSchema,
    networks: z
      .array(
        z
          .object({
            name: z.enum(NETWORK_NAMES),
            options,
            /** Patch sizes with their batch sizes: bigger patches, more imbalance, smaller batches. */
            patches: z.array(z.object({ patchSize: z.array(positiveInt).min(2).max(3), batchSize: positiveInt }).strict()).min(1),
          })
          .strict(),
      )
      .min(1),
    losses: z.array(z.object({ name: z.enum(LOSS_NAMES), options }).strict()).min(1),
    learningRates: z.array(z.number().positive()).min(1),
    seeds: z.array(z.number().int().min(0)).min(1),
    /** Iterations of every trial (the paper: 1000 in 2D, 3000 in 3D). */
    iterations: positiveInt,
    /** The paper's score window: median Dice over the last N iterations (200 in the paper). */
    scoreWindow: positiveInt.default(200),
    /** Seed of the data split (fixed across trials, so that every trial sees the same cases). */
    splitSeed: z.number().int().min(0).default(0),
    optimizer: z.enum(OPTIMIZER_NAMES).default('adam'),
  })
  .strict();

export type StudyConfig = z.infer<typeof studyConfigSchema>;
export type StudyConfigInput = z.input<typeof studyConfigSchema>;

/**
 * Validates a study configuration: the schema, then every loss's options, every network's options
 * and every patch size through the layers' own checkers (as `parseTrainingConfig` checks one trial),
 * so that a misspelt option fails the study at once instead of every trial that uses it. Errors list
 * `path: problem; got value` (`losses.1.options.weightType: must be one of ...`).
 */
export function parseStudyConfig(raw: unknown, source = 'study config'): StudyConfig {
  const what = 'study configuration';
  const config = parseWithSchema(studyConfigSchema, raw, source, what);
  checkFields(
    [
      ...config.networks.flatMap((n, i) =>
        networkChecks(`networks.${i}.options`, n.name, n.options, n.patches.map((p, j) => ({ path: `networks.${i}.patches.${j}.patchSize`, patchSize: p.patchSize }))),
      ),
      ...config.losses.map((l, k) => lossCheck(`losses.${k}.options`, l.name, l.options)),
      ...config.networks.map((n) => dataDimsCheck('data.synthetic', config.data, n.name)),
    ],
    source,
    what,
  );
  return config;
}

/** The first 6 hex digits of the SHA-256 of a value's JSON text (UTF-8), as node:crypto gave them before. */
function shortHash(value: unknown): string {
  return bytesToHex(sha256(new TextEncoder().encode(JSON.stringify(value)))).slice(0, 6);
}

/**
 * A trial's id: readable parameters plus a hash of everything, stable across runs, so that a study
 * folder can be resumed and a changed configuration never reuses an old result.
 */
export function trialId(p: TrialParameters): string {
  const lr = p.learningRate.toExponential().replace('+', '');
  return `${p.network}-${p.loss}-lr${lr}-p${p.patchSize.join('x')}-b${p.batchSize}-s${p.seed}-${shortHash(p)}`;
}

/**
 * Every trial of the grid, in order: seed, network, patch size, loss, learning rate. Seeds come
 * first so that a study cut short holds whole grids for its first seeds.
 */
export function expandGrid(config: StudyConfig): Array<{ id: string; parameters: TrialParameters }> {
  const out: Array<{ id: string; parameters: TrialParameters }> = [];
  for (const seed of config.seeds)
    for (const network of config.networks)
      for (const patch of network.patches)
        for (const loss of config.losses)
          for (const learningRate of config.learningRates) {
            const parameters: TrialParameters = {
              network: network.name,
              networkOptions: network.options,
              loss: loss.name,
              lossOptions: loss.options,
              learningRate,
              patchSize: patch.patchSize,
              batchSize: patch.batchSize,
              seed,
              iterations: config.iterations,
            };
            out.push({ id: trialId(parameters), parameters });
          }
  const ids = new Set(out.map((t) => t.id));
  if (ids.size !== out.length) throw new Error(`expandGrid: study '${config.name}' defines the same trial twice (duplicate values in a list)`);
  return out;
}

/** The training configuration of one trial. */
export function trialTrainingConfig(study: StudyConfig, p: TrialParameters): TrainingConfigInput {
  const data =
    'synthetic' in study.data
      ? { synthetic: study.data.synthetic, validationFraction: study.data.validationFraction, testFraction: study.data.testFraction }
      : { dataset: study.data.dataset, validationFraction: study.data.validationFraction, testFraction: study.data.testFraction };
  return {
    seed: p.seed,
    dataSeed: study.splitSeed,
    network: { name: oneOf('trialTrainingConfig', 'network', p.network, NETWORK_NAMES), options: p.networkOptions },
    loss: { name: oneOf('trialTrainingConfig', 'loss', p.loss, LOSS_NAMES), options: p.lossOptions },
    optimizer: { name: study.optimizer, learningRate: p.learningRate },
    iterations: p.iterations,
    batchSize: p.batchSize,
    patchSize: p.patchSize,
    sampling: 'foreground',
    data,
    checkpoint: { every: Math.max(25, Math.ceil(p.iterations / 5)), keep: 1 },
    scoreWindow: Math.min(study.scoreWindow, p.iterations),
  };
}
