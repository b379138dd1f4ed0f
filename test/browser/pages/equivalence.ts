/**
 * Browser page for test/browser/webgl.test.ts: every case runs once on TF.js's cpu backend and once on
 * webgl in the same page, from the same seeded data and weights, and reports how far webgl is from cpu.
 */
import * as tf from '@tensorflow/tfjs';
import {
  BatchNormalizationND,
  ChannelPadding,
  CroppingND,
  InstanceNormalization,
  Maxout,
  SpatialSizeCheck,
  UpSampling3D,
  dice,
  getLoss,
  getNetwork,
  installMissingGradients,
  LOSS_NAMES,
  selectEngine,
  unet2d,
} from '../../../src/index.js';

/** Deterministic values in [-1, 1) (a linear congruential generator), the same in Node and every browser. */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

function tensor(shape: number[], seed: number, scale = 1): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.mul(tf.tensor(values(n, seed), shape), scale);
}

/** A one-hot reference of `classes` channels over `shape`, class c where a seeded value falls in its band. */
function oneHot(shape: number[], classes: number, seed: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = values(n, seed);
  const labels = Int32Array.from(v, (x) => (x > 0.6 ? 1 + (classes > 2 && x > 0.85 ? 1 : 0) : 0));
  return tf.oneHot(tf.tensor1d(labels, 'int32'), classes).reshape([...shape, classes]).toFloat();
}

/** The gradients of `objective` with respect to `variables`, with the objective's value first. */
function valueAndGrads(objective: () => tf.Scalar, variables: tf.Variable[]): tf.Tensor[] {
  const { value, grads } = tf.variableGrads(objective, variables);
  return [value, ...variables.map((v) => grads[v.name]!)];
}

function trainable(model: tf.LayersModel | tf.layers.Layer): tf.Variable[] {
  return model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
}

/** A weighted sum of a layer's output: an objective whose gradient reaches every output element. */
function probe(y: tf.Tensor, seed: number): tf.Scalar {
  return tf.sum(tf.mul(y, tensor(y.shape, seed))) as tf.Scalar;
}

type Run = () => { tensors: tf.Tensor[]; names: string[] };

function layerRun(make: () => tf.layers.Layer, inputShape: number[], training = true): Run {
  return () => {
    const layer = make();
    const x = tf.variable(tensor(inputShape, 11), true, `x_${Math.random()}`);
    layer.build(inputShape);
    const vars = [x, ...trainable(layer)];
    const forward = layer.apply(x, { training }) as tf.Tensor;
    const tensors = [forward, ...valueAndGrads(() => probe(layer.apply(x, { training }) as tf.Tensor, 12), vars)];
    return { tensors, names: ['output', 'objective', 'dx', ...layer.trainableWeights.map((w) => `d${w.originalName}`)] };
  };
}

function opRun(op: (inputs: tf.Tensor[]) => tf.Tensor, shapes: number[][]): Run {
  return () => {
    const vars = shapes.map((s, i) => tf.variable(tensor(s, 21 + i), true, `in${i}_${Math.random()}`));
    const tensors = [op(vars), ...valueAndGrads(() => probe(op(vars), 30), vars)];
    return { tensors, names: ['output', 'objective', ...shapes.map((_, i) => `d input ${i}`)] };
  };
}

function networkRun(name: string, options: Record<string, unknown>, input: number[], classes = 2): Run {
  return () => {
    const model = getNetwork(name, { ...options, classes, seed: 5 });
    const x = tensor(input, 41);
    const outShape = (model.predict(x) as tf.Tensor).shape;
    const target = oneHot(outShape.slice(0, -1), classes, 42);
    const loss = getLoss('gdl');
    const forward = model.predict(x) as tf.Tensor;
    const vars = trainable(model);
    const tensors = [forward, ...valueAndGrads(() => loss(target, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, vars)];
    const names = ['prediction', 'GDL', ...model.trainableWeights.map((w) => `d ${w.name}`)];
    model.dispose();
    return { tensors, names };
  };
}

function lossRun(name: string): Run {
  return () => {
    const classes = name === 'dl2' ? 2 : 3;
    const logits = tf.variable(tensor([2, 5, 6, classes], 51, 3), true, `logits_${Math.random()}`);
    const target = oneHot([2, 5, 6], classes, 52);
    const loss = getLoss(name);
    const tensors = valueAndGrads(() => loss(target, logits) as tf.Scalar, [logits]);
    return { tensors, names: [`${name} value`, `d${name}/dlogits`] };
  };
}

const CASES: Record<string, Run> = {
  // networks, tiny: forward (inference) and the GDL gradient of every weight (training mode)
  'unet2d': networkRun('unet2d', { depth: 1, baseFilters: 2 }, [1, 8, 8, 1]),
  'unet2d batch norm': networkRun('unet2d', { depth: 1, baseFilters: 2, normalization: 'batch' }, [2, 8, 8, 1]),
  'unet2d nearest up-sampling': networkRun('unet2d', { depth: 1, baseFilters: 2, upsampling: 'nearest' }, [1, 8, 8, 1]),
  'unet2d instance norm': networkRun('unet2d', { depth: 1, baseFilters: 2, normalization: 'instance', inputChannels: 2 }, [1, 8, 8, 2], 3),
  'twoPathCnn (max-out)': networkRun('twoPathCnn', { localFilters: 4, globalFilters: 4, maxoutPieces: 2 }, [1, 15, 15, 1]),
  'deepMedic (3D batch norm, 3D up-sampling)': networkRun('deepMedic', { pathwayFilters: [2, 2], fullyConnected: [4] }, [1, 15, 15, 15, 1]),
  'highResNet (dilated 3D convolutions)': networkRun('highResNet', { filters: [2, 2, 2], dilations: [1, 2], blocksPerStage: 1, featureWidth: 2 }, [1, 6, 6, 6, 1]),
  'unet3d (3D transposed convolution)': networkRun('unet3d', { depth: 1, baseFilters: 2 }, [1, 4, 4, 4, 1]),
  'unet3d nearest 3D up-sampling': networkRun('unet3d', { depth: 1, baseFilters: 2, upsampling: 'nearest' }, [1, 4, 4, 4, 1]),
  'unet3d per-axis strides and kernels ([2, 2, 1] pooling, 3×3×1 convolutions)': networkRun('unet3d', { strides: [[2, 2, 1], [2, 2, 2]], convKernels: [[3, 3, 1], [3, 3, 3], [3, 3, 3]], baseFilters: 2 }, [1, 8, 8, 4, 1]),
  'unet2d per-axis strides and kernels': networkRun('unet2d', { strides: [[2, 1]], convKernels: [[3, 1], [3, 3]], baseFilters: 2 }, [1, 8, 6, 1]),
  // gendice's layers
  'BatchNormalizationND 2D': layerRun(() => new BatchNormalizationND({}), [2, 4, 5, 3]),
  'BatchNormalizationND 3D': layerRun(() => new BatchNormalizationND({}), [2, 3, 4, 5, 3]),
  'BatchNormalizationND 3D inference': layerRun(() => new BatchNormalizationND({}), [1, 3, 4, 5, 2], false),
  'InstanceNormalization 3D': layerRun(() => new InstanceNormalization({}), [2, 3, 4, 4, 2]),
  'Maxout': layerRun(() => new Maxout({ pieces: 3 }), [1, 4, 4, 6]),
  'SpatialSizeCheck': layerRun(() => new SpatialSizeCheck({ rule: { network: 'test', minimum: 4, multipleOf: 2, offset: 0, reason: '2' } }), [1, 4, 6, 1]),
  'UpSampling3D': layerRun(() => new UpSampling3D({ size: [2, 1, 3] }), [1, 2, 3, 2, 2]),
  'CroppingND 3D': layerRun(() => new CroppingND({ cropping: [[1, 0], [0, 2], [1, 1]] }), [1, 4, 5, 4, 2]),
  'ChannelPadding': layerRun(() => new ChannelPadding({ channels: 5 }), [1, 3, 3, 2]),
  // TF.js layers the networks use
  'batchNormalization 2D (TF.js layer)': layerRun(() => tf.layers.batchNormalization({}), [2, 4, 5, 3]),
  'upSampling2d (TF.js layer)': layerRun(() => tf.layers.upSampling2d({ size: [2, 2] }), [1, 3, 4, 2]),
  'slice rank 5': opRun(([x]) => tf.slice(x!, [0, 1, 0, 1, 0], [1, 3, 3, 2, 2]), [[1, 4, 5, 4, 2]]),
  'pad rank 5': opRun(([x]) => tf.pad(x!, [[0, 0], [1, 0], [0, 2], [1, 1], [0, 0]]), [[1, 3, 3, 2, 2]]),
  // the gradients gendice registers
  'dilated conv2d': opRun(([x, f]) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'same', 'NHWC', 2), [[1, 7, 7, 2], [3, 3, 2, 3]]),
  'dilated conv3d': opRun(([x, f]) => tf.conv3d(x as tf.Tensor5D, f as tf.Tensor5D, 1, 'same', 'NDHWC', 2), [[1, 5, 6, 5, 2], [3, 3, 3, 2, 2]]),
  'conv3dTranspose': opRun(([x, f]) => tf.conv3dTranspose(x as tf.Tensor5D, f as tf.Tensor5D, [1, 4, 4, 6, 2], 2, 'same'), [[1, 2, 2, 3, 3], [2, 2, 2, 2, 3]]),
  'batchNorm rank 5 (FusedBatchNorm)': opRun(([x, m, v, s, o]) => tf.batchNorm(x!, m!, tf.add(tf.abs(v!), 0.5), o, s, 1e-3), [[2, 2, 3, 2, 3], [3], [3], [3], [3]]),
  // the losses
  ...Object.fromEntries(LOSS_NAMES.map((name) => [`loss ${name}`, lossRun(name)])),
};

interface Comparison {
  name: string;
  /** Per compared tensor: its name, max |webgl − cpu|, max |cpu|. */
  tensors: { name: string; maxDiff: number; maxAbs: number; size: number }[];
  leakedCpu: number;
  leakedWebgl: number;
  /** Milliseconds on cpu and on webgl. */
  ms: number[];
}

type Backend = 'cpu' | 'webgl';

async function onBackend(backend: Backend, run: Run): Promise<{ data: Float32Array[]; names: string[]; leaked: number }> {
  await selectEngine({ engine: backend, quiet: true });
  tf.disposeVariables();
  const before = tf.memory().numTensors;
  let names: string[] = [];
  const tensors = tf.tidy(() => {
    const r = run();
    names = r.names;
    return r.tensors;
  });
  const data = await Promise.all(tensors.map(async (t) => Float32Array.from((await t.data()) as Float32Array)));
  tf.dispose(tensors);
  tf.disposeVariables();
  return { data, names, leaked: tf.memory().numTensors - before };
}

async function compare(name: string): Promise<Comparison> {
  const run = CASES[name];
  if (run === undefined) throw new Error(`no case '${name}'`);
  const t0 = performance.now();
  const cpu = await onBackend('cpu', run);
  const t1 = performance.now();
  const webgl = await onBackend('webgl', run);
  const ms = [t1 - t0, performance.now() - t1];
  const tensors = cpu.data.map((c, i) => {
    const w = webgl.data[i]!;
    let maxDiff = w.length === c.length ? 0 : Infinity;
    let maxAbs = 0;
    for (let k = 0; k < c.length; k++) {
      const d = Math.abs(w[k]! - c[k]!);
      maxDiff = Number.isNaN(d) ? Infinity : Math.max(maxDiff, d);
      maxAbs = Math.max(maxAbs, Math.abs(c[k]!));
    }
    return { name: cpu.names[i]!, maxDiff, maxAbs, size: c.length };
  });
  return { name, tensors, leakedCpu: cpu.leaked, leakedWebgl: webgl.leaked, ms };
}

/** What TF.js reports on webgl: float32 textures, the backend's epsilon and a default Adam's. */
async function precision(): Promise<Record<string, unknown>> {
  const info = await selectEngine({ engine: 'webgl', quiet: true });
  const adam = tf.train.adam(0.01) as unknown as { epsilon: number };
  return {
    backend: tf.getBackend(),
    engine: info.engine,
    webglVersion: tf.env().getNumber('WEBGL_VERSION'),
    renderFloat32: tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED'),
    backendEpsilon: tf.backend().epsilon(),
    adamEpsilon: adam.epsilon,
    gradients: installMissingGradients(),
  };
}

/**
 * Trains a small U-Net to segment a bright disc on one image (16×16 by default) with GDL and a default Adam (1e-2)
 * on `backend`; returns the loss per step and the Dice of the thresholded prediction before and after.
 */
async function train(backend: Backend, steps: number, net: { depth: number; baseFilters: number; size: number } = { depth: 1, baseFilters: 4, size: 16 }): Promise<{ losses: number[]; diceBefore: number; diceAfter: number; ms: number }> {
  await selectEngine({ engine: backend, quiet: true });
  const n = net.size;
  const img = new Float32Array(n * n);
  const lab = new Float32Array(n * n);
  const noise = values(n * n, 61);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const inside = (i - n / 3) ** 2 + (j - (2 * n) / 3) ** 2 <= (n / 8) ** 2;
      lab[i * n + j] = inside ? 1 : 0;
      img[i * n + j] = (inside ? 1 : -0.2) + 0.2 * noise[i * n + j]!;
    }
  }
  const x = tf.tensor4d(img, [1, n, n, 1]);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(Int32Array.from(lab), 'int32'), 2).reshape([1, n, n, 2]).toFloat());
  const model = unet2d({ depth: net.depth, baseFilters: net.baseFilters, seed: 3 });
  const loss = getLoss('gdl');
  const optimizer = tf.train.adam(0.01);
  const diceOf = (): number =>
    tf.tidy(() => {
      const p = model.predict(x) as tf.Tensor;
      const mask = p.argMax(-1).reshape([1, n, n, 1]);
      return dice(mask, tf.tensor4d(lab, [1, n, n, 1]), { numClasses: 2 }).values[0]![1]!;
    });
  const diceBefore = diceOf();
  const losses: number[] = [];
  const t0 = performance.now();
  for (let s = 0; s < steps; s++) {
    const l = optimizer.minimize(() => loss(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true)!;
    losses.push((await l.data())[0]!);
    l.dispose();
  }
  const ms = performance.now() - t0;
  const diceAfter = diceOf();
  optimizer.dispose();
  model.dispose();
  tf.dispose([x, y]);
  return { losses, diceBefore, diceAfter, ms };
}

// Ops called directly (not through a network) need gendice's gradients too.
installMissingGradients();

Object.assign(globalThis, { gendiceTest: { cases: Object.keys(CASES), compare, precision, train } });
(globalThis as { gendiceReady?: boolean }).gendiceReady = true;
