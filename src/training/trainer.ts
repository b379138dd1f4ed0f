import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../common/atomicWrite.js';
import { PatchSampler, type PatchBatch } from '../data/patchSampler.js';
import { volumeToChannelsLast } from '../data/volume.js';
import { selectEngine } from '../engine/index.js';
import { inferenceWindow, probabilitiesToLabels, slidingWindowInference } from '../inference/slidingWindow.js';
import { writeModelCard, type ModelCard } from '../inference/predict.js';
import { getLoss } from '../losses/registry.js';
import type { LossFunction } from '../losses/lossFunction.js';
import { dice as diceMetric } from '../metrics/dice.js';
import { saveModel } from '../networks/modelFiles.js';
import { getNetwork, getNetworkGeometry } from '../networks/registry.js';
import type { NetworkGeometry } from '../networks/networkGeometry.js';
import { loadCheckpoint, latestCheckpointDir, saveCheckpoint } from './checkpoint.js';
import { parseTrainingConfig, type TrainingConfig } from './config.js';
import { createOptimizer, disposeOptimizer, learningRateAt, setLearningRate } from './optimizer.js';
import { loadTrainingData, type TrainingCase, type TrainingData } from './trainingData.js';
import { TrainLog, paperScore } from './trainLog.js';

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
  /** Called with a message for each validation pass and checkpoint. */
  onEvent?: (message: string) => void;
}

export interface TrainingResult {
  outDir: string;
  iterations: number;
  /** Median training Dice over the last `scoreWindow` iterations (the paper's score). */
  score: number;
  scoreIterations: number;
  lastLoss: number;
  /** Mean foreground Dice on the validation cases at the end (NaN without validation cases). */
  validationDice: number;
  /** Mean foreground Dice of each held-out test case at the end (empty without test cases). */
  testDice: number[];
  /** Measured foreground fraction of the sampled training patches. */
  foregroundFraction: { mean: number; median: number };
  modelDir: string;
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
  optimizer: tf.Optimizer;
  sampler: PatchSampler;
  start: number;
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
    normalization: config.normalization,
    classes: data.classes,
    inputChannels: data.channels,
    loss: config.loss.name,
  };
}

/** Writes the resolved config with absolute data paths, so that `resume` works from any folder. */
function storeConfig(config: TrainingConfig, outDir: string, configDir: string): void {
  const stored = 'dataset' in config.data ? { ...config, data: { ...config.data, dataset: resolve(configDir, config.data.dataset) } } : config;
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
  const configDir = options.configDir ?? process.cwd();
  storeConfig(config, outDir, configDir);
  const data = options.data ?? (await loadTrainingData(config, configDir));
  // No fixed input shape: inference uses windows larger than the training patch (`inferenceWindow`).
  const model = getNetwork(config.network.name, networkOptions(config, data));
  const optimizer = createOptimizer(config.optimizer);
  const sampler = createSampler(config, data);
  new TrainLog(join(outDir, 'log.jsonl')).truncateAfter(-1);
  return runTraining({ config, outDir, data, model, optimizer, sampler, start: 0, engine: engine.engine ?? engine.backend, options });
}

/**
 * Continues a run from its newest checkpoint: model weights, optimizer state (Adam moments and step
 * count), iteration and sampler state are restored, the log is cut back to the checkpoint, and the run
 * ends with the same weights as an uninterrupted run with the same seed on the same engine.
 */
export async function resume(outDirInput: string, options: Omit<TrainOptions, 'outDir'> = {}): Promise<TrainingResult> {
  const outDir = resolve(outDirInput);
  const configPath = join(outDir, 'config.json');
  if (!existsSync(configPath)) throw new Error(`resume: ${outDir} is not a gendice training folder (no config.json)`);
  const config = parseTrainingConfig(JSON.parse(readFileSync(configPath, 'utf8')), configPath);
  const dir = latestCheckpointDir(outDir);
  if (dir === undefined) throw new Error(`resume: ${outDir} has no checkpoint yet; start the run again with train`);
  const engine = await selectEngine();
  const checkpoint = await loadCheckpoint(dir);
  const data = options.data ?? (await loadTrainingData(config, outDir));
  const optimizer = createOptimizer(config.optimizer);
  await optimizer.setWeights(checkpoint.optimizerWeights);
  const sampler = createSampler(config, data);
  sampler.setState(checkpoint.state.sampler as ReturnType<PatchSampler['getState']>);
  new TrainLog(join(outDir, 'log.jsonl')).truncateAfter(checkpoint.state.iteration);
  options.onEvent?.(`resuming ${outDir} at iteration ${checkpoint.state.iteration} from ${dir}`);
  return runTraining({
    config,
    outDir,
    data,
    model: checkpoint.model,
    optimizer,
    sampler,
    start: checkpoint.state.iteration,
    engine: engine.engine ?? engine.backend,
    options: { ...options, outDir },
  });
}

/**
 * The run's patch sampler. For networks whose output is smaller than the patch, the label region is
 * the output (where `cropLabels` cuts): foreground draws land in what the loss sees, and foreground
 * fractions are measured there. Throws (naming the network) for a patch the network does not accept.
 */
function createSampler(config: TrainingConfig, data: TrainingData): PatchSampler {
  const labelShape = getNetworkGeometry(config.network.name, networkOptions(config, data)).outputShapeFor(config.patchSize);
  return new PatchSampler(data.train, { patchSize: config.patchSize, batchSize: config.batchSize, mode: config.sampling, seed: config.seed, labelRegion: labelShape });
}

/** Centre crop of a `[B, ...spatial, 1]` label tensor to the network's output size. */
function cropLabels(labels: tf.Tensor, outShape: readonly number[]): tf.Tensor {
  const spatial = labels.shape.slice(1, -1);
  if (spatial.every((s, i) => s === outShape[i])) return labels;
  const begin = [0, ...spatial.map((s, i) => Math.floor((s - outShape[i]!) / 2)), 0];
  return tf.slice(labels, begin, [labels.shape[0]!, ...outShape, 1]);
}

/** Foreground Dice of a batch, pooled over the batch and averaged over foreground classes present. */
function batchDice(output: Float32Array, labels: Int32Array | Float32Array | Uint8Array, classes: number): { hard: number; soft: number } {
  const n = labels.length;
  const K = output.length / n;
  const probs = new Float32Array(output.length);
  for (let v = 0; v < n; v++) {
    if (K === 1) {
      probs[v] = 1 / (1 + Math.exp(-output[v]!));
      continue;
    }
    let m = -Infinity;
    for (let c = 0; c < K; c++) m = Math.max(m, output[v * K + c]!);
    let z = 0;
    for (let c = 0; c < K; c++) z += Math.exp(output[v * K + c]! - m);
    for (let c = 0; c < K; c++) probs[v * K + c] = Math.exp(output[v * K + c]! - m) / z;
  }
  const predicted = probabilitiesToLabels(probs, K);
  const hard: number[] = [];
  const soft: number[] = [];
  for (let c = 1; c < Math.max(classes, 2); c++) {
    let inter = 0;
    let p = 0;
    let r = 0;
    let sInter = 0;
    let sP = 0;
    for (let v = 0; v < n; v++) {
      const isRef = labels[v] === c ? 1 : 0;
      const isPred = predicted[v] === c ? 1 : 0;
      const prob = K === 1 ? probs[v]! : probs[v * K + c]!;
      inter += isRef * isPred;
      p += isPred;
      r += isRef;
      sInter += prob * isRef;
      sP += prob;
    }
    if (p + r > 0) hard.push((2 * inter) / (p + r));
    if (r > 0 || sP > 0) soft.push((2 * sInter) / (sP + r));
  }
  const mean = (a: number[]): number => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : Number.NaN);
  return { hard: mean(hard), soft: mean(soft) };
}

/** Mean foreground Dice over validation cases, by sliding-window inference (windows from `inferenceWindow`). */
function validate(
  model: tf.LayersModel,
  cases: TrainingCase[],
  config: TrainingConfig,
  geometry: NetworkGeometry,
  classes: number,
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

async function runTraining(run: Run): Promise<TrainingResult> {
  const { config, outDir, data, model, optimizer, sampler, options } = run;
  const t0 = performance.now();
  const loss: LossFunction = getLoss(config.loss.name, config.loss.options);
  const geometry = getNetworkGeometry(config.network.name, networkOptions(config, data));
  const outShape = geometry.outputShapeFor(config.patchSize);
  const log = new TrainLog(join(outDir, 'log.jsonl'));
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  let lastCheckpoint = latestCheckpointDir(outDir);
  let lastLoss = Number.NaN;
  const checkpointAt = async (iteration: number): Promise<void> => {
    lastCheckpoint = await saveCheckpoint(
      outDir,
      model,
      optimizer,
      {
        iteration,
        sampler: sampler.getState(),
        optimizer: { name: config.optimizer.name, learningRate: config.optimizer.learningRate },
        engine: run.engine,
        writtenAt: new Date().toISOString(),
      },
      config.checkpoint.keep,
    );
    options.onEvent?.(`checkpoint ${lastCheckpoint}`);
  };

  try {
    for (let it = run.start; it < config.iterations; it++) {
      const stepStart = performance.now();
      const learningRate = learningRateAt(config.optimizer, it, config.iterations);
      setLearningRate(optimizer, learningRate);
      const batch = sampler.next();
      const step = trainingStep(model, variables, optimizer, loss, batch, outShape, data.classes, (what, value) =>
        new TrainingDivergedError(it + 1, value, learningRate, lastCheckpoint, what),
      );
      lastLoss = step.value;
      const foregroundFraction = batch.foregroundFractions.reduce((a, v) => a + v, 0) / batch.foregroundFractions.length;
      const ms = performance.now() - stepStart;
      log.append({ type: 'train', iteration: it + 1, loss: step.value, dice: step.dice.hard, diceSoft: step.dice.soft, learningRate, foregroundFraction, ms });
      options.onProgress?.({
        iteration: it + 1,
        iterations: config.iterations,
        loss: step.value,
        dice: step.dice.hard,
        learningRate,
        secondsPerIteration: (performance.now() - t0) / 1000 / (it + 1 - run.start),
      });
      const done = it + 1 === config.iterations;
      if ((it + 1) % config.checkpoint.every === 0 || done) await checkpointAt(it + 1);
      // One event-loop turn per iteration: signals, IPC (a study worker exits when its study does) and, in a
      // browser, the page stay responsive during a long run. Costs microseconds against a step's milliseconds.
      else await nextTurn();
      if (config.validation.every > 0 && (it + 1) % config.validation.every === 0 && !done && data.validation.length > 0) {
        const v = validate(model, data.validation, config, geometry, data.classes);
        log.append({ type: 'validation', iteration: it + 1, dice: v.dice, dicePerClass: v.perClass, cases: data.validation.length });
        options.onEvent?.(`validation at iteration ${it + 1}: Dice ${v.dice.toFixed(4)}`);
      }
    }

    let validationDice = Number.NaN;
    if (data.validation.length > 0) {
      const v = validate(model, data.validation, config, geometry, data.classes);
      validationDice = v.dice;
      log.append({ type: 'validation', iteration: config.iterations, dice: v.dice, dicePerClass: v.perClass, cases: data.validation.length });
    }
    const testDice = data.test.length > 0 ? validate(model, data.test, config, geometry, data.classes).perCase : [];
    const modelDir = join(outDir, 'model');
    await saveModel(model, modelDir);
    writeModelCard(modelDir, modelCard(config, data));
    const { score, iterations: scoreIterations } = paperScore(log.read(), config.scoreWindow);
    const stats = sampler.statistics();
    const result: TrainingResult = {
      outDir,
      iterations: config.iterations,
      score,
      scoreIterations,
      lastLoss,
      validationDice,
      testDice,
      foregroundFraction: { mean: stats.mean, median: stats.median },
      modelDir,
      engine: run.engine,
      seconds: (performance.now() - t0) / 1000,
    };
    writeFileAtomic(join(outDir, 'result.json'), `${JSON.stringify(result, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`);
    return result;
  } finally {
    model.dispose();
    disposeOptimizer(optimizer);
  }
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
  optimizer: tf.Optimizer,
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
      optimizer.applyGradients(result.grads);
      return { value, dice: batchDice(output!.dataSync() as Float32Array, y.dataSync() as Int32Array, classes) };
    });
  } finally {
    output?.dispose();
  }
}
