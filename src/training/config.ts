import { z } from 'zod';
import { formatValue, OptionError } from '../common/options.js';
import { checkFields, type FieldCheck, parseWithSchema } from '../common/configSchema.js';
import { checkLossOptions, LOSS_NAMES } from '../losses/registry.js';
import { MODEL_CARD_NORMALIZATIONS } from '../networks/modelCard.js';
import { checkNetworkOptions, checkPatchSize, NETWORK_NAMES, networkInfo } from '../networks/registry.js';
import { SYNTH_LESION_SHAPES } from '../data/phantom.js';
import { SAMPLING_MODES } from '../data/patchSampler.js';
import { augmentationCheck, augmentationSchema } from '../data/augmentationConfig.js';

const positiveInt = z.number().int().positive();
const fraction = z.number().min(0).max(1);
const options = z.record(z.string(), z.unknown()).default({});

/** The optimisers a configuration may name. */
export const OPTIMIZER_NAMES = ['adam', 'sgd'] as const;
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];

const schedule = z.discriminatedUnion('type', [
  z.object({ type: z.literal('constant') }).strict(),
  /** lr · gamma^floor(iteration / stepSize). */
  z.object({ type: z.literal('step'), stepSize: positiveInt, gamma: z.number().positive().max(1).default(0.1) }).strict(),
  /** lr · (1 - iteration / iterations)^power. */
  z.object({ type: z.literal('poly'), power: z.number().positive().default(0.9) }).strict(),
]);

const syntheticData = z
  .object({
    dims: z.union([z.literal(2), z.literal(3)]),
    cases: positiveInt.default(8),
    size: positiveInt.optional(),
    foregroundFraction: z.number().min(1e-4).max(0.5),
    classes: positiveInt.default(1),
    channels: positiveInt.default(1),
    lesionShape: z.enum(SYNTH_LESION_SHAPES).default('mixed'),
  })
  .strict();

/**
 * The data of a training run or of a study: a Decathlon folder or synthetic phantoms, with the
 * fractions of cases held out for validation and for test. `testFraction` defaults to 0 for both
 * (cases are taken away from training only when asked; the built-in studies ask for 0.1).
 */
export const dataSchema = z.union([
  z
    .object({
      /** A Medical Segmentation Decathlon folder (with dataset.json), relative to the config file. */
      dataset: z.string().min(1),
      validationFraction: fraction.default(0.1),
      testFraction: fraction.default(0),
      /** A JSON file {train, validation, test} of case ids (relative to the config file); wins over the fractions. */
      split: z.string().min(1).optional(),
      /** Seeded k-fold cross-validation over the training cases (nnU-Net: 5); `fold` is the validation fold. */
      folds: z.number().int().min(2).optional(),
      fold: z.number().int().min(0).optional(),
    })
    .strict(),
  z.object({ synthetic: syntheticData, validationFraction: fraction.default(0.25), testFraction: fraction.default(0) }).strict(),
]);

/** The schema of a training configuration (JSON or YAML). Unknown keys are errors. */
export const trainingConfigSchema = z
  .object({
    /** Seed of weight initialisation and patch sampling (and of the data, unless `dataSeed` is set). */
    seed: z.number().int().min(0).default(0),
    /** Seed of the synthetic data and of the train/validation/test split. Default: `seed`. */
    dataSeed: z.number().int().min(0).optional(),
    network: z.object({ name: z.enum(NETWORK_NAMES), options }).strict(),
    loss: z.object({ name: z.enum(LOSS_NAMES), options }).strict(),
    optimizer: z
      .object({
        name: z.enum(OPTIMIZER_NAMES).default('adam'),
        learningRate: z.number().positive(),
        /** SGD momentum. */
        momentum: z.number().min(0).max(1).default(0.9),
        schedule: schedule.default({ type: 'constant' }),
      })
      .strict(),
    /** Number of optimisation steps (the paper counts iterations, not epochs). */
    iterations: positiveInt,
    batchSize: positiveInt,
    /** Patch extents in volume axis order: 2 numbers (2D) or 3 (3D). */
    patchSize: z.array(positiveInt).min(2).max(3),
    /** 'foreground' (default): only patches holding foreground, the paper's rule. */
    sampling: z.enum(SAMPLING_MODES).default('foreground'),
    data: dataSchema,
    /**
     * A `plan.json` of `gendice plan` (relative to the config file): cases of a Decathlon folder are brought
     * to RAS and the plan's target spacing and normalised per channel as it says (`normalization` is then unused).
     */
    plan: z.string().min(1).optional(),
    /** Intensity normalisation of each image: z-score over the whole image (default) or none. */
    normalization: z.enum(MODEL_CARD_NORMALIZATIONS).default('zscore'),
    validation: z
      .object({
        /** Validate every k iterations (0: only at the end). */
        every: z.number().int().min(0).default(0),
        /** Sliding-window overlap in [0, 1). */
        overlap: z.number().min(0).lt(1).default(0.25),
        /** Early stopping: stop after this many validation passes without a higher mean foreground Dice (needs `every` > 0). */
        patience: positiveInt.optional(),
      })
      .strict()
      .refine((v) => v.patience === undefined || v.every > 0, { path: ['patience'], message: 'needs validation.every > 0 (the passes it counts)' })
      .default({ every: 0, overlap: 0.25 }),
    checkpoint: z
      .object({
        /** Write a checkpoint every k iterations (and always at the end). */
        every: positiveInt.default(100),
        /** Checkpoints kept on disk (the newest ones). */
        keep: positiveInt.default(2),
      })
      .strict()
      .default({ every: 100, keep: 2 }),
    /** The paper's score: median training Dice over the last `scoreWindow` iterations. */
    scoreWindow: positiveInt.default(200),
    /** On-the-fly augmentation (docs/training.md, "Augmentation"): 'default' (nnU-Net's) or the transforms; off when absent. */
    augmentation: augmentationSchema.optional(),
  })
  .strict();

export type TrainingConfig = z.infer<typeof trainingConfigSchema>;
/** What a user writes: every field with a default may be left out. */
export type TrainingConfigInput = z.input<typeof trainingConfigSchema>;

/**
 * The checks of a network's options and of the patch sizes it is trained on, by the network's own
 * checkers (no model is built), as gendice trains it: `inputShape` comes from the patch and the
 * output stays logits (`outputActivation: 'none'`, the loss applies its own activation).
 */
export function networkChecks(path: string, name: string, options: Record<string, unknown>, patches: ReadonlyArray<{ path: string; patchSize: number[] }>): FieldCheck[] {
  const trained = { outputActivation: 'none', ...options };
  const optionsValid = (): boolean => {
    try {
      checkNetworkOptions(name, trained);
      return true;
    } catch {
      return false;
    }
  };
  return [
    {
      path,
      check: () => {
        if (options.inputShape !== undefined) throw new OptionError(name, 'inputShape', 'is set by gendice from patchSize; remove it');
        if (options.outputActivation !== undefined && options.outputActivation !== 'none') {
          const problem = `must stay 'none' (logits; the loss applies its own activation); got ${formatValue(options.outputActivation)}`;
          throw new OptionError(name, 'outputActivation', problem);
        }
        checkNetworkOptions(name, trained);
      },
    },
    // A patch is checked only against valid options (a wrong option is reported once, above).
    ...patches.map((p) => ({ path: p.path, check: () => void (optionsValid() && checkPatchSize(name, trained, p.patchSize)) })),
  ];
}

/** The check that synthetic data of `dims` dimensions suit the network (a 2D network on 3D phantoms fails only after they are made). */
export function dataDimsCheck(path: string, data: z.infer<typeof dataSchema>, name: string): FieldCheck {
  return {
    path,
    check: () => {
      if (!('synthetic' in data)) return;
      const { dims } = networkInfo(name);
      if (data.synthetic.dims !== dims) throw new OptionError(name, 'dims', `must be ${dims} for ${name} (a ${dims}D network); got ${data.synthetic.dims}`);
    },
  };
}

/** The check of a loss's options by the loss's own checker (no tensor is built). */
export function lossCheck(path: string, name: string, options: Record<string, unknown>): FieldCheck {
  return { path, check: () => checkLossOptions(name, options) };
}

/**
 * Validates a configuration object: the schema, then the loss options, the network options and the
 * patch geometry through the layers' own checkers, so that a wrong configuration fails before any
 * file is written or tensor built. Errors list every wrong field as `path: problem; got value`
 * (`loss.options.weightType: must be one of 'square', 'simple', 'uniform'; got 'squared' (did you
 * mean 'square'?)`), prefixed by `source` (a file name or 'config').
 */
export function parseTrainingConfig(raw: unknown, source = 'config'): TrainingConfig {
  const what = 'training configuration';
  const config = parseWithSchema(trainingConfigSchema, raw, source, what);
  checkFields(
    [
      ...networkChecks('network.options', config.network.name, config.network.options, [{ path: 'patchSize', patchSize: config.patchSize }]),
      lossCheck('loss.options', config.loss.name, config.loss.options),
      dataDimsCheck('data.synthetic', config.data, config.network.name),
      augmentationCheck('augmentation', config.augmentation, config.patchSize),
    ],
    source,
    what,
  );
  return config;
}
