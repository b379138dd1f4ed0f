import { dirname, resolve } from 'node:path';
import { loadCase, loadDecathlon, splitCases } from '../../data/node/dataset.js';
import { zScore } from '../../data/normalization.js';
import type { SamplerCase } from '../../data/patchSampler.js';
import { generatePhantom, LESION_SHAPES } from '../../data/phantom.js';
import type { Volume } from '../../data/volume.js';
import type { TrainingConfig } from '../config.js';
import { planCase, readPlanFile } from './planData.js';
import { splitDataset } from './datasetSplit.js';

/** A case ready for training or validation: normalised image and label map. */
export interface TrainingCase extends SamplerCase {
  id: string;
}

export interface TrainingData {
  train: TrainingCase[];
  validation: TrainingCase[];
  test: TrainingCase[];
  /** Classes including background. */
  classes: number;
  /** Image channels. */
  channels: number;
  /** dataset.json's label names by value (absent for synthetic data). */
  labelNames?: Map<number, string>;
  /** Where the data came from, for logs and reports. */
  source: string;
}

function normalize(image: Volume, how: TrainingConfig['normalization']): Volume {
  return how === 'zscore' ? zScore(image) : image;
}

/**
 * Loads the cases a configuration names: a Decathlon folder (resolved against `configDir`), or
 * synthetic phantoms generated in memory from the seed. Split deterministically from the seed.
 */
export async function loadTrainingData(config: TrainingConfig, configDir = process.cwd()): Promise<TrainingData> {
  const dataSeed = config.dataSeed ?? config.seed;
  const split = { validation: config.data.validationFraction, test: config.data.testFraction, seed: dataSeed };
  if ('synthetic' in config.data) {
    if (config.plan !== undefined) throw new Error(`loadTrainingData: plan '${config.plan}' needs a dataset folder (data.dataset), not synthetic data`);
    const s = config.data.synthetic;
    const all: TrainingCase[] = [];
    for (let i = 0; i < s.cases; i++) {
      const shape = s.lesionShape === 'mixed' ? LESION_SHAPES[i % LESION_SHAPES.length]! : s.lesionShape;
      const phantom = generatePhantom({
        dims: s.dims,
        foregroundFraction: s.foregroundFraction,
        lesionShape: shape,
        classes: s.classes,
        channels: s.channels,
        seed: (dataSeed * 7919 + i * 104729) >>> 0,
        ...(s.size !== undefined ? { size: s.size } : {}),
      });
      all.push({ id: `phantom_${String(i).padStart(3, '0')}`, image: normalize(phantom.image, config.normalization), label: phantom.label });
    }
    const parts = splitCases(all, split);
    return { ...parts, classes: s.classes + 1, channels: s.channels, source: `synthetic ${s.dims}D phantoms, foreground ${s.foregroundFraction}` };
  }
  const root = resolve(configDir, config.data.dataset);
  const plan = config.plan === undefined ? undefined : readPlanFile(resolve(configDir, config.plan));
  const description = loadDecathlon(root);
  const parts = splitDataset(description, config.data, dataSeed, configDir);
  const labelValues = [...description.labels.keys()];
  const load = async (entries: typeof description.training): Promise<TrainingCase[]> => {
    const out: TrainingCase[] = [];
    for (const entry of entries) {
      const c = await loadCase(entry, labelValues.length ? { labels: labelValues } : {});
      if (c.label === undefined) throw new Error(`loadTrainingData: case '${entry.id}' of ${root} has no label`);
      out.push({ id: entry.id, ...(plan === undefined ? { image: normalize(c.image, config.normalization), label: c.label } : planCase(c.image, c.label, plan)) });
    }
    return out;
  };
  const train = await load(parts.train);
  if (train.length === 0) throw new Error(`loadTrainingData: ${root} leaves no training case after the split (validation ${split.validation}, test ${split.test})`);
  const validation = await load(parts.validation);
  const test = await load(parts.test);
  const classes = labelValues.length ? Math.max(...labelValues) + 1 : 2;
  return { train, validation, test, classes, channels: train[0]!.image.channels, labelNames: description.labels, source: root };
}

/** The folder a config file lives in (relative data paths are resolved against it). */
export function configDirectory(configPath: string): string {
  return dirname(resolve(configPath));
}
