import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic, writeFolderAtomic } from '../../common/node/atomicWrite.js';
import { PatchSampler, type PatchBatch } from '../../data/patchSampler.js';
import { trainingAugmenter, type Augmenter, type AugmenterState } from '../../data/augmentation.js';
import { volumeToChannelsLast } from '../../data/volume.js';
import { selectEngine } from '../../engine/node/index.js';
import { inferenceWindow, probabilitiesToLabels, slidingWindowInference } from '../../inference/slidingWindow.js';
import { writeModelCard, type ModelCard } from '../../networks/node/modelCardFile.js';
import { getLoss } from '../../losses/registry.js';
import type { LossFunction } from '../../losses/lossFunction.js';
import { dice as diceMetric } from '../../metrics/dice.js';
import { saveModel } from '../../networks/node/modelFiles.js';
import { getNetwork, getNetworkGeometry } from '../../networks/registry.js';
import type { NetworkGeometry } from '../../networks/networkGeometry.js';
import { batchDice } from '../batchDice.js';
import { loadCheckpoint, latestCheckpointDir, removeRunLeftovers, saveCheckpoint } from './checkpoint.js';
import { parseTrainingConfig, type TrainingConfig } from '../config.js';
import { createOptimizer, learningRateAt, type TrainingOptimizer } from '../optimizer.js';
import { planCardFields } from './planData.js';
import { writeSplitFile } from './datasetSplit.js';
import { scoresPerStructure } from '../structureScores.js';
import { loadTrainingData, type TrainingCase, type TrainingData } from './trainingData.js';
import { TrainLog, paperScore, type LogRecord } from './trainLog.js';
import { ModelSelection, type SelectionSummary } from './modelSelection.js';
import { PostprocessingEvidence, type PostprocessingCase } from '../../inference/postprocessing.js';
import { writePostprocessing } from '../../inference/node/postprocessingFile.js';

/** Resolves after one turn of the event loop (setImmediate in Node, a zero timeout elsewhere). */
const nextTurn = (): Promise<void> =>
  new Promise((resolveTurn) => (typeof setImmediate === 'function' ? setImmediate(resolveTurn) : setTimeout(resolveTurn, 0)));

export interface TrainingProgress {
  iteration: number;
  iterations: number;
  loss: number;
  dice: number;
  learningRate: number;
  /** Seconds per iteration, averaged since the start of this process. */
  secondsPerIteration: number;
}

export interface TrainOptions {
  /** Output folder: config.json, log.jsonl, checkpoints/, model/, result.json. */
  outDir: string;
  /** Folder that relative data paths in the config are resolved against. Default: the working directory. */
  configDir?: string;
  /** Use these cases instead of loading the ones the config names (library use). */
  data?: TrainingData;
  onProgress?: (p: TrainingProgress) => void;
  /** Called with a message for each validation pass, checkpoint and the final model (after each is written). */
  onEvent?: (message: string) => void;
}

export interface TrainingResult {
  outDir: string;
  /** Iterations run: `iterations` of the config, or fewer after early stopping (`selection.stopped`). */
  iterations: number;
  /** Median training Dice over the last `scoreWindow` iterations (the paper's score). */
  score: number;
  scoreIterations: number;
  lastLoss: number;
  /** Mean foreground Dice on the validation cases at the end (NaN without validation cases). */
  validationDice: number;
  /** Mean foreground Dice of each held-out test case at the end (empty without test cases). */
  testDice: number[];
  /** Final validation Dice per foreground structure, by dataset.json label name (`validationDice` is their mean). */
  validationDicePerStructure: Record<string, number>;
  /** Test Dice per foreground structure (mean over test cases), by label name; empty without test cases. */
  testDicePerStructure: Record<string, number>;
  /** Measured foreground fraction of the sampled training patches. */
  foregroundFraction: { mean: number; median: number };
  modelDir: string;
  /** Which model is which: `model/` (last) and `model-best/` (best validation Dice), and why the run stopped early, if it did. */
  selection: SelectionSummary;
  engine: string;
  seconds: number;
}

/** Thrown when the loss or a gradient stops being finite; the last good checkpoint is kept. */
export class TrainingDivergedError extends Error {
  constructor(
    readonly iteration: number,
    readonly loss: number,
    readonly learningRate: number,
    readonly checkpoint: string | undefined,
    what: string,
  ) {
    super(
      `train: non-finite ${what} at iteration ${iteration} (loss ${loss}, learning rate ${learningRate}); training stopped. ` +
        (checkpoint ? `The last good checkpoint is ${checkpoint}.` : 'No checkpoint had been written yet.'),
    );
    this.name = 'TrainingDivergedError';
  }
}

interface Run {
  config: TrainingConfig;
  outDir: string;
  data: TrainingData;
  model: tf.LayersModel;
  optimizer: TrainingOptimizer;
  sampler: PatchSampler;
  /** On-the-fly augmentation of each sampled batch (absent: the config has none). */
  augmenter: Augmenter | undefined;
  log: TrainLog;
  start: number;
  selection: ModelSelection;
  engine: string;
  options: TrainOptions;
}

function networkOptions(config: TrainingConfig, data: TrainingData): Record<string, unknown> {
  const o = config.network.options;
  for (const [key, value] of [
    ['inputChannels', data.channels],
    ['classes', data.classes],
  ] as const) {
    if (o[key] !== undefined && o[key] !== value) {
      throw new Error(`train: network.options.${key} is ${String(o[key])} but the data have ${value}; leave it out, gendice sets it from the data`);
    }
  }
  if (o.outputActivation !== undefined && o.outputActivation !== 'none') {
    throw new Error(`train: network.options.outputActivation must stay 'none' (logits); the loss applies its own activation, got '${String(o.outputActivation)}'`);
  }
  return { ...o, inputChannels: data.channels, classes: data.classes, outputActivation: 'none', seed: config.seed };
}

function modelCard(config: TrainingConfig, data: TrainingData): ModelCard {
  return {
    network: { name: config.network.name, options: networkOptions(config, data) },
    patchSize: config.patchSize,
    classes: data.classes,
    inputChannels: data.channels,
    loss: config.loss.name,
    ...planCardFields(config.plan, config.normalization),
  };
}

/** Writes the resolved config with absolute data paths, so that `resume` works from any folder. */
function storeConfig(config: TrainingConfig, outDir: string, configDir: string): void {
  const stored: TrainingConfig = 'dataset' in config.data ? { ...config, data: { ...config.data, dataset: resolve(configDir, config.data.dataset) } } : { ...config };
  if (stored.plan !== undefined) stored.plan = resolve(configDir, stored.plan);
  if ('dataset' in stored.data && stored.data.split !== undefined) stored.data = { ...stored.data, split: resolve(configDir, stored.data.split) };
  writeFileAtomic(join(outDir, 'config.json'), `${JSON.stringify(stored, null, 2)}\n`);
}

/**
 * Trains a network as the configuration says (see `trainingConfigSchema`) and writes everything to
 * `options.outDir`: `config.json`, `log.jsonl` (one line per iteration and validation pass),
 * `checkpoints/` (model, optimizer state, sampler state; resumable with `resume`), `model/` (the final
 * model with its `gendice.json` card, for `predict`) and `result.json` with the paper's score.
 */
export async function train(configInput: unknown, options: TrainOptions): Promise<TrainingResult> {
  const config = parseTrainingConfig(configInput);
  const outDir = resolve(options.outDir);
  if (latestCheckpointDir(outDir) !== undefined) {
    throw new Error(`train: ${outDir} already holds a training run with checkpoints; use resume, or choose another output folder`);
  }
  const engine = await selectEngine();
  mkdirSync(outDir, { recursive: true });
  removeRunLeftovers(outDir);
  const configDir = options.configDir ?? process.cwd();
  if (config.plan !== undefined) config.plan = resolve(configDir, config.plan);
  storeConfig(config, outDir, configDir);
  const data = options.data ?? (await loadTrainingData(config, configDir));
  writeSplitFile(outDir, data);
  // No fixed input shape: inference uses windows larger than the training patch (`inferenceWindow`).
  const model = getNetwork(config.network.name, networkOptions(config, data));
  const optimizer = createOptimizer(config.optimizer);
  const augmenter = trainingAugmenter(config.augmentation, config.patchSize, config.seed);
  const sampler = createSampler(config, data, augmenter);
  const log = new TrainLog(join(outDir, 'log.jsonl'));
  log.reset();
  const selection = ModelSelection.fresh(outDir, config.validation.patience);
  return runTraining({ config, outDir, data, model, optimizer, sampler, augmenter, log, start: 0, selection, engine: engine.engine ?? engine.backend, options });
}

/**
 * Continues a run from its newest checkpoint: model weights (batch-normalisation statistics included),
 * the optimizer's whole state (step, Adam's β-products and moments, SGD's accumulations), iteration and
 * sampler state (generator and statistics) are restored, leftovers of killed writes are removed, the log
 * is cut back to exactly what the checkpoint covers, and the work after it is redone. The run ends with
 * the same weights, log records (but their times) and result as an uninterrupted run on the same engine,
 * bit for bit, whatever the moment it was killed.
 */
export async function resume(outDirInput: string, options: Omit<TrainOptions, 'outDir'> = {}): Promise<TrainingResult> {
  const outDir = resolve(outDirInput);
  const configPath = join(outDir, 'config.json');
  if (!existsSync(configPath)) throw new Error(`resume: ${outDir} is not a gendice training folder (no config.json)`);
  const config = parseTrainingConfig(JSON.parse(readFileSync(configPath, 'utf8')), configPath);
  const dir = latestCheckpointDir(outDir);
  if (dir === undefined) throw new Error(`resume: ${outDir} has no checkpoint yet; start the run again with train`);
  const engine = await selectEngine();
  removeRunLeftovers(outDir);
  const checkpoint = await loadCheckpoint(dir);
  const data = options.data ?? (await loadTrainingData(config, outDir));
  const optimizer = createOptimizer(config.optimizer);
  try {
    optimizer.setState(checkpoint.optimizer);
  } finally {
    tf.dispose(checkpoint.optimizer.tensors.map((t) => t.tensor));
  }
  const augmenter = trainingAugmenter(config.augmentation, config.patchSize, config.seed);
  const sampler = createSampler(config, data, augmenter);
  sampler.setState(checkpoint.state.sampler as ReturnType<PatchSampler['getState']>);
  if (augmenter !== undefined) {
    if (checkpoint.state.augmentation === undefined) throw new Error(`resume: ${dir} holds no augmentation state but ${configPath} augments`);
    augmenter.setState(checkpoint.state.augmentation as AugmenterState);
  }
  const log = new TrainLog(join(outDir, 'log.jsonl'));
  if (checkpoint.state.log !== undefined) log.cutTo(checkpoint.state.log);
  else log.truncateAfter(checkpoint.state.iteration);
  options.onEvent?.(`resuming ${outDir} at iteration ${checkpoint.state.iteration} from ${dir}`);
  return runTraining({
    config,
    outDir,
    data,
    model: checkpoint.model,
    optimizer,
    sampler,
    augmenter,
    log,
    start: checkpoint.state.iteration,
    selection: await ModelSelection.resumed(outDir, dir, checkpoint.state.selection, config.validation.patience),
    engine: engine.engine ?? engine.backend,
    options: { ...options, outDir },
  });
}

/**
 * The run's patch sampler. For networks whose output is smaller than the patch, the label region is
 * the output (where `cropLabels` cuts): foreground draws land in what the loss sees, and foreground
 * fractions are measured there. Throws (naming the network) for a patch the network does not accept.
 */
function createSampler(config: TrainingConfig, data: TrainingData, augmenter: Augmenter | undefined): PatchSampler {
  const labelShape = getNetworkGeometry(config.network.name, networkOptions(config, data)).outputShapeFor(config.patchSize);
  // With augmentation the sampler draws the augmenter's (larger) source patch around the same label region.
  const patchSize = augmenter?.sourcePatchSize ?? config.patchSize;
  return new PatchSampler(data.train, { patchSize, batchSize: config.batchSize, mode: config.sampling, seed: config.seed, labelRegion: labelShape });
}

/** Centre crop of a `[B, ...spatial, 1]` label tensor to the network's output size. */
function cropLabels(labels: tf.Tensor, outShape: readonly number[]): tf.Tensor {
  const spatial = labels.shape.slice(1, -1);
  if (spatial.every((s, i) => s === outShape[i])) return labels;
  const begin = [0, ...spatial.map((s, i) => Math.floor((s - outShape[i]!) / 2)), 0];
  return tf.slice(labels, begin, [labels.shape[0]!, ...outShape, 1]);
}

/** Mean foreground Dice over validation cases, by sliding-window inference (windows from `inferenceWindow`). */
function validate(
  model: tf.LayersModel,
  cases: TrainingCase[],
  config: TrainingConfig,
  geometry: NetworkGeometry,
  classes: number,
  onCase?: (c: PostprocessingCase) => void,
): { dice: number; perClass: number[]; perCase: number[] } {
  const perCase: number[][] = [];
  for (const c of cases) {
    const outputShapeFor = (w: readonly number[]): number[] => geometry.outputShapeFor(w);
    const result = slidingWindowInference(model, volumeToChannelsLast(c.image), c.image.shape, {
      windowSize: inferenceWindow(config.patchSize, outputShapeFor, c.image.shape),
      overlap: config.validation.overlap,
      outputShapeFor,
    });
    const predicted = probabilitiesToLabels(result.output, result.channels);
    const reference = Int32Array.from(volumeToChannelsLast(c.label));
    onCase?.({ predicted, reference, shape: c.image.shape });
    const shape = [1, ...c.image.shape, 1];
    const r = diceMetric({ data: predicted, shape }, { data: reference, shape }, { numClasses: classes, includeBackground: false });
    perCase.push(r.values[0]!);
  }
  const perClass = Array.from({ length: Math.max(classes - 1, 1) }, (_, k) => {
    const v = perCase.map((row) => row[k]!).filter(Number.isFinite);
    return v.length ? v.reduce((a, b) => a + b, 0) / v.length : Number.NaN;
  });
  const mean = (v: number[]): number => {
    const f = v.filter(Number.isFinite);
    return f.length ? f.reduce((a, b) => a + b, 0) / f.length : Number.NaN;
  };
  return { dice: mean(perClass), perClass, perCase: perCase.map(mean) };
}

/** Whether iteration `iteration` (1-based) ends with a validation pass: every `validation.every` and at the end. */
function validatesAt(config: TrainingConfig, data: TrainingData, iteration: number): boolean {
  if (data.validation.length === 0) return false;
  return iteration === config.iterations || (config.validation.every > 0 && iteration % config.validation.every === 0);
}

/**
 * The training loop and the end of the run. An iteration's work is: step, train record, validation pass
 * (if due), checkpoint (if due). A checkpoint covers everything before it, log records included, so a
 * resume redoes exactly the work after it and no record appears twice or goes missing. The end of the
 * run (test evaluation, model, result.json) reads what it needs from the final checkpoint's model and the
 * log, so it can be redone after a kill too.
 */
async function runTraining(run: Run): Promise<TrainingResult> {
  const { config, outDir, data, model, optimizer, sampler, augmenter, log, selection, options } = run;
  const t0 = performance.now();
  const loss: LossFunction = getLoss(config.loss.name, config.loss.options);
  const geometry = getNetworkGeometry(config.network.name, networkOptions(config, data));
  const outShape = geometry.outputShapeFor(config.patchSize);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  let lastCheckpoint = latestCheckpointDir(outDir);
  const checkpointAt = async (iteration: number): Promise<void> => {
    lastCheckpoint = await saveCheckpoint(
      outDir,
      model,
      optimizer,
      {
        iteration,
        sampler: sampler.getState(),
        ...(augmenter !== undefined && { augmentation: augmenter.getState() }),
        optimizer: { name: config.optimizer.name, learningRate: config.optimizer.learningRate },
        log: log.commit(),
        engine: run.engine,
        writtenAt: new Date().toISOString(),
        selection: selection.getState(),
      },
      config.checkpoint.keep,
      (tmp) => selection.addToCheckpoint(tmp),
    );
    options.onEvent?.(`checkpoint ${lastCheckpoint}`);
  };
  const writeModel = async (dir: string): Promise<void> => {
    await saveModel(model, dir);
    writeModelCard(dir, modelCard(config, data));
  };

  try {
    for (let it = run.start; it < config.iterations && !selection.stopped; it++) {
      const iteration = it + 1;
      const stepStart = performance.now();
      const learningRate = learningRateAt(config.optimizer, it, config.iterations);
      const sampled = sampler.next();
      const batch = augmenter !== undefined ? augmenter.augment(sampled) : sampled;
      const step = trainingStep(model, variables, optimizer, learningRate, loss, batch, outShape, data.classes, (what, value) =>
        new TrainingDivergedError(iteration, value, learningRate, lastCheckpoint, what),
      );
      const foregroundFraction = batch.foregroundFractions.reduce((a, v) => a + v, 0) / batch.foregroundFractions.length;
      const ms = performance.now() - stepStart;
      log.append({ type: 'train', iteration, loss: step.value, dice: step.dice.hard, diceSoft: step.dice.soft, learningRate, foregroundFraction, ms });
      options.onProgress?.({
        iteration,
        iterations: config.iterations,
        loss: step.value,
        dice: step.dice.hard,
        learningRate,
        secondsPerIteration: (performance.now() - t0) / 1000 / (iteration - run.start),
      });
      if (validatesAt(config, data, iteration)) {
        const evidence = new PostprocessingEvidence(data.classes);
        const v = validate(model, data.validation, config, geometry, data.classes, (c) => evidence.add(c));
        log.append({ type: 'validation', iteration, dice: v.dice, dicePerClass: v.perClass, cases: data.validation.length });
        const outcome = await selection.afterValidation({ iteration, dice: v.dice, dicePerClass: v.perClass }, config.iterations, evidence.plan(), writeModel);
        options.onEvent?.(`validation at iteration ${iteration}: Dice ${v.dice.toFixed(4)}${outcome.improved ? ` (best so far: ${selection.bestDir})` : ''}`);
        if (outcome.stop !== undefined) {
          log.append({ type: 'stop', iteration, reason: outcome.stop });
          options.onEvent?.(`stopping at iteration ${iteration}: ${outcome.stop}`);
        }
      }
      if (iteration % config.checkpoint.every === 0 || iteration === config.iterations || selection.stopped) await checkpointAt(iteration);
      // One event-loop turn per iteration: signals, IPC (a study worker exits when its study does) and, in a
      // browser, the page stay responsive during a long run. Costs microseconds against a step's milliseconds.
      else await nextTurn();
    }

    const records = log.read();
    const tested = data.test.length > 0 ? validate(model, data.test, config, geometry, data.classes) : undefined;
    const testDice = tested?.perCase ?? [];
    const modelDir = join(outDir, 'model');
    await writeFolderAtomic(modelDir, async (tmp) => {
      await writeModel(tmp);
      const postprocessing = selection.lastPostprocessing;
      if (postprocessing !== undefined) writePostprocessing(tmp, postprocessing);
    });
    options.onEvent?.(`model ${modelDir}`);
    const { score, iterations: scoreIterations } = paperScore(records, config.scoreWindow);
    const stats = sampler.statistics();
    const lastIteration = selection.stopped?.iteration ?? config.iterations;
    const lastValidation = lastOf(records, 'validation');
    const result: TrainingResult = {
      outDir,
      iterations: lastIteration,
      score,
      scoreIterations,
      lastLoss: lastOf(records, 'train')?.loss ?? Number.NaN,
      validationDice: lastValidation?.dice ?? Number.NaN,
      testDice,
      validationDicePerStructure: scoresPerStructure(lastOf(records, 'validation')?.dicePerClass ?? [], data.labelNames),
      testDicePerStructure: scoresPerStructure(tested?.perClass ?? [], data.labelNames),
      foregroundFraction: { mean: stats.mean, median: stats.median },
      modelDir,
      selection: selection.summary({ iteration: lastIteration, dice: lastValidation?.dice ?? Number.NaN, dicePerClass: lastValidation?.dicePerClass ?? [] }, modelDir),
      engine: run.engine,
      seconds: (performance.now() - t0) / 1000,
    };
    writeFileAtomic(join(outDir, 'result.json'), `${JSON.stringify(result, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`);
    return result;
  } finally {
    model.dispose();
    optimizer.dispose();
  }
}

/** The last record of a kind in the log (the final validation is the last validation record). */
function lastOf<T extends LogRecord['type']>(records: readonly LogRecord[], type: T): Extract<LogRecord, { type: T }> | undefined {
  for (let i = records.length - 1; i >= 0; i--) if (records[i]!.type === type) return records[i] as Extract<LogRecord, { type: T }>;
  return undefined;
}

function allFinite(values: ArrayLike<number>): boolean {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) return false;
  return true;
}

/**
 * One optimisation step: forward, loss, gradients, the finite guard, the update, and the batch's
 * Dice. Every tensor it makes is released, also when it throws.
 */
function trainingStep(
  model: tf.LayersModel,
  variables: tf.Variable[],
  optimizer: TrainingOptimizer,
  learningRate: number,
  loss: LossFunction,
  batch: PatchBatch,
  outShape: readonly number[],
  classes: number,
  diverged: (what: string, value: number) => TrainingDivergedError,
): { value: number; dice: { hard: number; soft: number } } {
  let output: tf.Tensor | undefined;
  try {
    return tf.tidy(() => {
      const x = tf.tensor(batch.images, batch.imageShape);
      const y = cropLabels(tf.tensor(batch.labels, batch.labelShape, 'int32'), outShape);
      let finiteOutput = true;
      const result = tf.variableGrads(() => {
        output = tf.keep(model.apply(x, { training: true }) as tf.Tensor);
        finiteOutput = allFinite(output.dataSync());
        // A non-finite output still goes through the backward pass (as a NaN loss), so that the
        // tensors TF.js saved for it are released; the guard below then stops the run.
        return (finiteOutput ? loss(y, output) : tf.mul(tf.sum(output), Number.NaN)) as tf.Scalar;
      }, variables);
      if (!finiteOutput) throw diverged('network output', Number.NaN);
      const value = result.value.dataSync()[0]!;
      if (!Number.isFinite(value)) throw diverged('loss', value);
      const gradientSum = tf.addN(Object.values(result.grads).map((g) => tf.sum(g))).dataSync()[0]!;
      if (!Number.isFinite(gradientSum)) throw diverged('gradient', value);
      optimizer.applyGradients(variables, result.grads, learningRate);
      return { value, dice: batchDice(output!.dataSync() as Float32Array, y.dataSync() as Int32Array, classes) };
    });
  } finally {
    output?.dispose();
  }
}
