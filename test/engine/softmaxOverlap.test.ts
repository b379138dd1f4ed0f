import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/common/index.js';
import { fusedSoftmaxOverlap, fusedSoftmaxStatistics, softmaxOverlapAvailable, softmaxStatisticsAvailable } from '../../src/engine/index.js';
import { registerSoftmaxOverlap } from '../../src/engine/softmaxOverlap.js';
import { loadAddon } from '../../src/engine/node/addon.js';
import { resetEngine, selectEngine } from '../../src/engine/node/index.js';
import { generalizedDiceLoss, sensitivitySpecificityLoss, twoClassDiceLoss, weightedCrossEntropyLoss } from '../../src/losses/index.js';
import { NO_ADDON, onEngine, randn, relError, tensor } from './_helpers.js';

const addon = loadAddon();
const fused = addon.ok && typeof addon.addon.softmaxOverlap === 'function';

/**
 * A child process that runs the addon's forward and backward passes on fixed pseudo-random inputs of
 * [B, S, C] and prints a digest of every output bit (OMP_NUM_THREADS is read when libgomp loads, hence a
 * process per thread count).
 */
const DIGEST = String.raw`
const { createHash } = require('node:crypto');
const addon = require(process.argv[1]);
const [B, S, C] = JSON.parse(process.argv[2]);
let seed = 12345;
const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
const x = Float32Array.from({ length: B * S * C }, () => (next() - 0.5) * 12);
const r = new Float32Array(B * S * C);
for (let v = 0; v < B * S; v++) r[v * C + (next() < 0.1 ? 1 + Math.floor(next() * (C - 1)) : 0)] = 1;
const stats = new Float32Array(B * 3 * C), dx = new Float32Array(B * S * C);
const dStats = Float32Array.from({ length: B * 3 * C }, () => next() - 0.5);
addon.softmaxOverlap(0, x, r, [B, S, C], stats);
addon.softmaxOverlap(1, x, r, [B, S, C], dx, dStats);
// the six sums (modes 2 and 3)
const stats6 = new Float32Array(B * 6 * C), dx6 = new Float32Array(B * S * C);
const dStats6 = Float32Array.from({ length: B * 6 * C }, () => next() - 0.5);
addon.softmaxOverlap(2, x, r, [B, S, C], stats6);
addon.softmaxOverlap(3, x, r, [B, S, C], dx6, dStats6);
const hash = createHash('sha256');
for (const a of [stats, dx, stats6, dx6]) hash.update(Buffer.from(a.buffer));
process.stdout.write(hash.digest('hex'));
`;

function digest(threads: number, dims: number[]): string {
  const path = addon.ok ? addon.path : '';
  const run = spawnSync(process.execPath, ['-e', DIGEST, path, JSON.stringify(dims)], {
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: String(threads), OMP_WAIT_POLICY: 'passive' },
  });
  if (run.status !== 0) throw new Error(`softmaxOverlap digest child failed: ${run.stderr}`);
  return run.stdout;
}

/** A label map with about `fraction` foreground, classes 1..C−1 (class C−1 absent when `absentLast`). */
function labels(shape: number[], classes: number, fraction: number, seed: number, absentLast = false): tf.Tensor {
  const r = new Random(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const top = absentLast ? classes - 2 : classes - 1;
  const v = Int32Array.from({ length: n }, () => (r.next() < fraction ? 1 + Math.floor(r.next() * top) : 0));
  return tf.tensor(v, [...shape, 1], 'int32');
}

interface Case {
  name: string;
  shape: number[];
  classes: number;
  options?: Record<string, unknown>;
  oneHot?: boolean;
  absentLast?: boolean;
  scale?: number;
  /** Another loss on the fused kernel than GDL. */
  loss?: 'dl2' | 'wce' | 'ss';
}

const cases: Case[] = [
  { name: '3D, one-hot target, 3 classes', shape: [2, 6, 5, 4], classes: 3, oneHot: true },
  { name: '2D, label map, 2 classes, more voxels than one chunk', shape: [2, 130, 130], classes: 2 },
  { name: '3D, a class absent from the reference, background excluded', shape: [2, 5, 5, 5], classes: 4, absentLast: true, options: { includeBackground: false } },
  { name: 'large logits (softmax stability), batch mode', shape: [3, 7, 9], classes: 3, scale: 40, options: { batch: true } },
  { name: 'DL2 (two-class Dice), label map', shape: [2, 40, 30], classes: 2, loss: 'dl2' },
  { name: 'DL2 (two-class Dice), one-hot target, batch mode', shape: [3, 9, 8, 7], classes: 2, oneHot: true, loss: 'dl2', options: { batch: true } },
  { name: 'WCE, two classes, label map, more voxels than one chunk', shape: [2, 130, 130], classes: 2, loss: 'wce' },
  { name: 'WCE, 4 classes, one-hot, weights from the prediction, background excluded', shape: [2, 6, 5, 4], classes: 4, oneHot: true, loss: 'wce', options: { weightFrom: 'prediction', includeBackground: false } },
  { name: 'WCE, 3 classes, a class absent, large logits, batch mode', shape: [3, 7, 9], classes: 3, absentLast: true, scale: 40, loss: 'wce', options: { batch: true } },
  { name: 'SS (binary form), two classes, label map, more voxels than one chunk', shape: [2, 130, 130], classes: 2, loss: 'ss' },
  { name: "SS form 'sum', 4 classes, one-hot, background excluded", shape: [2, 6, 5, 4], classes: 4, oneHot: true, loss: 'ss', options: { includeBackground: false } },
  { name: 'SS, two classes, one-hot, batch mode, λ 0.3', shape: [3, 9, 8, 7], classes: 2, oneHot: true, loss: 'ss', options: { batch: true, lambda: 0.3 } },
];

const lossOf = (c: Case) => {
  if (c.loss === 'dl2') return twoClassDiceLoss({ batch: (c.options?.batch as boolean | undefined) ?? false });
  if (c.loss === 'wce') return weightedCrossEntropyLoss(c.options);
  if (c.loss === 'ss') return sensitivitySpecificityLoss(c.options);
  return generalizedDiceLoss(c.options);
};

describe.skipIf(!fused)('fused softmax and overlap sums (GendiceSoftmaxOverlap) against the stock composition', () => {
  afterAll(() => resetEngine());

  it('is registered on the native engine only', async () => {
    await selectEngine({ engine: 'native', quiet: true });
    expect(softmaxOverlapAvailable()).toBe(true);
    await selectEngine({ engine: 'cpu', quiet: true });
    expect(softmaxOverlapAvailable()).toBe(false);
  });

  it.each(cases)('loss value and gradient equal the stock cpu composition: $name', async (c) => {
    const logits = randn([...c.shape, c.classes], 11);
    if (c.scale !== undefined) logits.values.forEach((v, i) => (logits.values[i] = v * c.scale!));
    const run = () => {
      const map = labels(c.shape, c.classes, 0.1, 5, c.absentLast);
      const target = c.oneHot ? tf.oneHot(tf.reshape(map, c.shape), c.classes).toFloat() : map;
      const loss = lossOf(c);
      const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => loss(target, x) as tf.Scalar)(tensor(logits));
      return [value, grad];
    };
    const native = await onEngine('native', run);
    const stock = await onEngine('cpu', run);
    expect(relError(native[0]!, stock[0]!)).toBeLessThan(1e-5);
    expect(relError(native[1]!, stock[1]!)).toBeLessThan(1e-4);
    expect(Math.max(...stock[1]!.map(Math.abs))).toBeGreaterThan(0); // a gradient that can differ
  });

  it('an addon without the six sums keeps GDL fused and composes WCE and SS', async () => {
    if (!addon.ok || addon.addon.softmaxOverlap === undefined) throw new Error('unreachable: the block is skipped without the addon');
    const real = addon.addon.softmaxOverlap.bind(addon.addon);
    const modes: number[] = [];
    // an addon of before the six sums: modes 2 and 3 refused as that addon refuses them
    const older: typeof real = (mode, ...rest) => {
      modes.push(mode);
      if (mode >= 2) throw new Error('gendice native: softmaxOverlap: unknown mode');
      real(mode, ...rest);
    };
    const logits = randn([2, 9, 8, 2], 5);
    const run = () => {
      const target = labels([2, 9, 8], 2, 0.2, 3);
      return [weightedCrossEntropyLoss(), sensitivitySpecificityLoss(), generalizedDiceLoss()].flatMap((loss) => {
        const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => loss(target, x) as tf.Scalar)(tensor(logits));
        return [value, grad];
      });
    };
    try {
      await selectEngine({ engine: 'native', quiet: true });
      registerSoftmaxOverlap(older);
      expect(softmaxOverlapAvailable()).toBe(true);
      expect(softmaxStatisticsAvailable()).toBe(false);
      modes.length = 0;
      const native = tf.tidy(run).map((t) => Float32Array.from(t.dataSync()));
      expect(new Set(modes)).toEqual(new Set([0, 1])); // GDL on the three-sum kernel, WCE and SS composed
      const stock = await onEngine('cpu', run);
      native.forEach((v, i) => expect(relError(v, stock[i]!)).toBeLessThan(1e-4));
    } finally {
      resetEngine();
    }
    await selectEngine({ engine: 'native', quiet: true });
    expect(softmaxStatisticsAvailable()).toBe(true);
  });

  it('gives the sums of softmax(logits) and the target, and the softmax-chain gradient of a weighted sum', async () => {
    const x = randn([2, 40, 3], 3);
    const t = tf.tidy(() => tf.oneHot(labels([2, 40], 3, 0.3, 9).reshape([2, 40]), 3).toFloat());
    const tv = { shape: [2, 40, 3], values: Float32Array.from(t.dataSync()) };
    const w = randn([2, 3, 3], 4);
    // stats(logits) as [B, 3, C], fused or composed
    const native = await onEngine('native', () => {
      const lx = tensor(x);
      const target = tensor(tv) as tf.Tensor3D;
      const stats = (l: tf.Tensor) => {
        const s = fusedSoftmaxOverlap(l as tf.Tensor3D, target);
        return tf.stack([s.tp, s.sumP, s.sumR], 1);
      };
      return [stats(lx), tf.grad((l: tf.Tensor) => tf.sum(tf.mul(stats(l), tensor(w))))(lx)];
    });
    const stock = await onEngine('cpu', () => {
      const lx = tensor(x);
      const target = tensor(tv);
      const stats = (l: tf.Tensor) => {
        const p = tf.softmax(l);
        return tf.stack([tf.sum(tf.mul(p, target), 1), tf.sum(p, 1), tf.sum(target, 1)], 1);
      };
      return [stats(lx), tf.grad((l: tf.Tensor) => tf.sum(tf.mul(stats(l), tensor(w))))(lx)];
    });
    expect(relError(native[0]!, stock[0]!)).toBeLessThan(1e-6);
    expect(relError(native[1]!, stock[1]!)).toBeLessThan(1e-5);
    t.dispose();
  });

  it.each([
    ['3 classes, one-hot, a tail block', [2, 300, 3], false],
    ['2 classes, soft target, two chunks', [2, 17000, 2], true],
    ['5 classes, soft target', [3, 50, 5], true],
  ] as const)('gives the six sums and the softmax-chain gradient of each: %s', async (_name, dims, soft) => {
    const [B, S, C] = dims;
    expect(await onEngine('native', () => tf.scalar(softmaxStatisticsAvailable() ? 1 : 0))).toEqual([Float32Array.of(1)]);
    const x = randn([B, S, C], 3);
    const tv = { shape: [B, S, C], values: new Float32Array(B * S * C) };
    const rand = new Random(8);
    for (let v = 0; v < B * S; v++) {
      if (soft) {
        // a soft target: a distribution over the classes per voxel
        const row = Array.from({ length: C }, () => rand.next() ** 3);
        const total = row.reduce((a, b) => a + b, 0);
        row.forEach((value, c) => (tv.values[v * C + c] = value / total));
      } else {
        tv.values[v * C + (rand.next() < 0.3 ? 1 + Math.floor(rand.next() * (C - 1)) : 0)] = 1;
      }
    }
    const names = ['tp', 'sumP', 'sumR', 'sqDiff', 'sqDiffR', 'rLogP'] as const;
    // one weight tensor per sum, so that each sum's gradient is tested alone (w[k] zero elsewhere) and together
    const w = randn([6, B, C], 4);
    const weightOf = (k: number) => tf.tensor(w.values.subarray(k * B * C, (k + 1) * B * C), [B, C]);
    const check = async (which: number[]) => {
      const native = await onEngine('native', () => {
        const lx = tensor(x);
        const target = tensor(tv) as tf.Tensor3D;
        const stats = (l: tf.Tensor) => fusedSoftmaxStatistics(l as tf.Tensor3D, target);
        const objective = (l: tf.Tensor) => {
          const s = stats(l);
          return tf.addN(which.map((k) => tf.sum(tf.mul(s[names[k]!], weightOf(k)))));
        };
        const s = stats(lx);
        return [...names.map((n) => s[n]), tf.grad(objective)(lx)];
      });
      const stock = await onEngine('cpu', () => {
        const lx = tensor(x);
        const target = tensor(tv);
        const stats = (l: tf.Tensor): tf.Tensor[] => {
          const p = tf.softmax(l);
          const d2 = tf.squaredDifference(p, target);
          return [tf.mul(p, target), p, target, d2, tf.mul(d2, target), tf.mul(target, tf.logSoftmax(l))].map((t) => tf.sum(t, 1));
        };
        const objective = (l: tf.Tensor) => {
          const s = stats(l);
          return tf.addN(which.map((k) => tf.sum(tf.mul(s[k]!, weightOf(k)))));
        };
        return [...stats(lx), tf.grad(objective)(lx)];
      });
      for (let k = 0; k < 6; k++) expect(relError(native[k]!, stock[k]!), `${names[k]} of ${which.join(',')}`).toBeLessThan(1e-5);
      expect(relError(native[6]!, stock[6]!), `gradient of ${which.map((k) => names[k]).join(' + ')}`).toBeLessThan(1e-4);
      expect(Math.max(...stock[6]!.map(Math.abs))).toBeGreaterThan(0);
    };
    for (const k of [0, 1, 3, 4, 5]) await check([k]);
    await check([0, 1, 2, 3, 4, 5]);
  });
});

describe.skipIf(!fused)('fused softmax and overlap sums: polynomial exp and determinism', () => {
  afterAll(() => resetEngine());

  it('softmax probabilities of two classes are within 4 ulp of the stock softmax for logit gaps 0 to 87', async () => {
    // One voxel per image, logits [d, 0]: sumP of class 0 is that voxel's probability, exp(d)/(1 + exp(d)).
    const gaps = Float32Array.from({ length: 3000 }, (_, i) => -87 * (i / 2999) ** 1.5);
    const logits = { shape: [gaps.length, 1, 2], values: Float32Array.from({ length: 2 * gaps.length }, (_, i) => (i % 2 === 0 ? gaps[i >> 1]! : 0)) };
    const target = { shape: [gaps.length, 1, 2], values: Float32Array.from({ length: 2 * gaps.length }, (_, i) => i % 2) };
    const [fusedP] = await onEngine('native', () => fusedSoftmaxOverlap(tensor(logits) as tf.Tensor3D, tensor(target) as tf.Tensor3D).sumP);
    const [stockP] = await onEngine('cpu', () => tf.softmax(tensor(logits)).reshape([gaps.length, 2]));
    let worst = 0;
    for (let i = 0; i < gaps.length; i++) {
      for (let c = 0; c < 2; c++) {
        const a = fusedP![2 * i + c]!;
        const b = stockP![2 * i + c]!;
        const ulp = Math.max(Math.abs(b) * 2 ** -23, 2 ** -149);
        worst = Math.max(worst, Math.abs(a - b) / ulp);
      }
    }
    expect(worst).toBeLessThanOrEqual(4);
  });

  it('log-probabilities (the rLogP sum) are within 2 ulp of the stock logSoftmax, with 2, 5 and 64 classes', async () => {
    // One voxel per image with logits [d, 0(, spread)] and a target on class 0: rLogP of class 0 is log p_0.
    // The row sum s of exp(x − max) spans 1 to 2 (two classes), 1 to 5 and 1 to 64: logPoly's whole range of
    // mantissas and several exponents.
    for (const C of [2, 5, 64]) {
      const gaps = Float32Array.from({ length: 3000 }, (_, i) => 30 * (i / 2999) ** 1.5 - 20);
      const lv = new Float32Array(gaps.length * C);
      const tv = new Float32Array(gaps.length * C);
      gaps.forEach((d, i) => {
        lv[i * C] = d;
        for (let c = 1; c < C; c++) lv[i * C + c] = (-0.6 * (c - 1)) / C;
        tv[i * C] = 1;
      });
      const logits = { shape: [gaps.length, 1, C], values: lv };
      const target = { shape: [gaps.length, 1, C], values: tv };
      const [fused] = await onEngine('native', () => fusedSoftmaxStatistics(tensor(logits) as tf.Tensor3D, tensor(target) as tf.Tensor3D).rLogP);
      const [stock] = await onEngine('cpu', () => tf.logSoftmax(tensor(logits)).reshape([gaps.length, C]));
      let worst = 0;
      for (let i = 0; i < gaps.length; i++) {
        const a = fused![i * C]!;
        const b = stock![i * C]!;
        // in ulp of the larger of log p, x − max and 1: log s of a float s >= 1 is uncertain by ulp(s)/s >= 2⁻²⁴
        // (and the exps, within 2 ulp of Math.exp's, can move s by one ulp), so a log p near 0 is compared absolutely
        const scale = Math.max(Math.abs(b), Math.abs(lv[i * C]! - Math.max(...lv.subarray(i * C, (i + 1) * C))), 1);
        worst = Math.max(worst, Math.abs(a - b) / (scale * 2 ** -23));
      }
      expect(worst, `${C} classes`).toBeLessThanOrEqual(2);
    }
  });

  it('gives bit-identical outputs across repeated runs', async () => {
    await selectEngine({ engine: 'native', quiet: true });
    const x = randn([3, 20000, 3], 21);
    const t = tf.tidy(() => tf.oneHot(labels([3, 20000], 3, 0.2, 4).reshape([3, 20000]), 3).toFloat()) as tf.Tensor3D;
    const once = () =>
      tf.tidy(() => {
        const lx = tensor(x) as tf.Tensor3D;
        const f = (l: tf.Tensor) => {
          const s = fusedSoftmaxOverlap(l as tf.Tensor3D, t);
          return tf.sum(tf.mul(tf.stack([s.tp, s.sumP, s.sumR], 1), tf.linspace(-1, 1, 27).reshape([3, 3, 3])));
        };
        const { value, grad } = tf.valueAndGrad(f)(lx);
        return [...value.dataSync(), ...grad.dataSync()];
      });
    const first = once();
    for (let i = 0; i < 3; i++) expect(once()).toEqual(first);
    t.dispose();
  });

  it.each([
    [[2, 40000, 2]],
    [[3, 17000, 5]],
  ])('gives bit-identical outputs with 1, 2 and 3 OpenMP threads: %j', (dims) => {
    const one = digest(1, dims);
    expect(one).toMatch(/^[0-9a-f]{64}$/);
    expect(digest(2, dims)).toBe(one);
    expect(digest(3, dims)).toBe(one);
  });
});

describe.skipIf(!fused)('fused softmax and overlap sums: input checks while reading', () => {
  afterAll(() => resetEngine());

  // [3, 20000, 3]: two chunks of voxels per image and a tail block, so that bad values sit in every part.
  const [B, S, C] = [3, 20000, 3];
  const clean = () => {
    const x = randn([B, S, C], 11).values;
    const r = new Float32Array(B * S * C);
    for (let v = 0; v < B * S; v++) r[v * C + (v % 7 === 0 ? 1 : 0)] = 1;
    return { x, r };
  };
  const checksOf = (x: Float32Array, r: Float32Array, targetRule: 'none' | 'unitInterval' | 'binary') => {
    let checks: unknown;
    tf.tidy(() => {
      checks = fusedSoftmaxOverlap(tf.tensor3d(x, [B, S, C]), tf.tensor3d(r, [B, S, C]), { targetRule }).checks;
    });
    return checks;
  };

  it('reports finite logits and a passing target, and leaves the target unchecked without a rule', async () => {
    await selectEngine({ engine: 'native', quiet: true });
    const { x, r } = clean();
    expect(checksOf(x, r, 'unitInterval')).toEqual({ logitsFinite: true, targetPasses: true });
    expect(checksOf(x, r, 'binary')).toEqual({ logitsFinite: true, targetPasses: true });
    r[5] = 2;
    expect(checksOf(x, r, 'none')).toEqual({ logitsFinite: true, targetPasses: undefined });
  });

  it('finds one bad value anywhere: NaN, ±Inf logits; NaN, negative, above-1 and soft targets', async () => {
    await selectEngine({ engine: 'native', quiet: true });
    const places = [0, 7, 256 * C + 1, 16384 * C, S * C - 1, S * C, 2 * S * C + 16385 * C + 2, B * S * C - 1];
    for (const at of places) {
      for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
        const { x, r } = clean();
        x[at] = bad;
        expect(checksOf(x, r, 'unitInterval'), `logit ${bad} at ${at}`).toEqual({ logitsFinite: false, targetPasses: true });
      }
      for (const [bad, unit, binary] of [[Number.NaN, false, false], [-0.5, false, false], [1.5, false, false], [0.25, true, false]] as const) {
        const { x, r } = clean();
        r[at] = bad;
        expect(checksOf(x, r, 'unitInterval'), `target ${bad} at ${at}`).toEqual({ logitsFinite: true, targetPasses: unit });
        expect(checksOf(x, r, 'binary'), `target ${bad} at ${at}`).toEqual({ logitsFinite: true, targetPasses: binary });
      }
    }
  });

  it('WCE and SS through the fused kernel throw the errors they throw composed', async () => {
    const pred = () => tf.zeros([2, 4, 4, 2]);
    const bad: Array<[string, () => unknown]> = [];
    for (const [name, loss] of [['wce', weightedCrossEntropyLoss()], ['ss', sensitivitySpecificityLoss()]] as const) {
      bad.push(
        [`${name}: NaN in yPred`, () => loss(tf.zeros([2, 4, 4, 1]), tf.fill([2, 4, 4, 2], Number.NaN))],
        [`${name}: Inf in a one-hot case`, () => loss(tf.oneHot(tf.zeros([2, 4, 4], 'int32'), 2).toFloat(), tf.fill([2, 4, 4, 2], Number.NEGATIVE_INFINITY))],
        [`${name}: soft label above 1`, () => loss(tf.fill([2, 4, 4, 2], 1.5), pred())],
        [`${name}: NaN in a one-hot yTrue`, () => loss(tf.fill([2, 4, 4, 2], Number.NaN), pred())],
        [`${name}: label out of range`, () => loss(tf.fill([2, 4, 4, 1], 2), pred())],
        [`${name}: zero-size axis`, () => loss(tf.zeros([1, 0, 1]), tf.zeros([1, 0, 2]))],
        [`${name}: channel mismatch`, () => loss(tf.zeros([2, 4, 4, 3]), pred())],
      );
    }
    bad.push(['ss: binary form on three classes', () => sensitivitySpecificityLoss({ form: 'binary' })(tf.zeros([2, 4, 4, 1]), tf.zeros([2, 4, 4, 3]))]);
    const messageOf = (call: () => unknown): string => {
      try {
        tf.tidy(() => void call());
      } catch (e) {
        return (e as Error).message;
      }
      return 'no error';
    };
    await selectEngine({ engine: 'cpu', quiet: true });
    const stock = bad.map(([, call]) => messageOf(call));
    await selectEngine({ engine: 'native', quiet: true });
    expect(softmaxStatisticsAvailable()).toBe(true);
    const native = bad.map(([, call]) => messageOf(call));
    bad.forEach(([name], i) => {
      expect(stock[i], name).not.toBe('no error');
      expect(native[i], name).toBe(stock[i]);
    });
  });

  it('leaves the sums unchanged by the checks', async () => {
    await selectEngine({ engine: 'native', quiet: true });
    const { x, r } = clean();
    const sums = (targetRule: 'none' | 'unitInterval') =>
      tf.tidy(() => {
        const s = fusedSoftmaxOverlap(tf.tensor3d(x, [B, S, C]), tf.tensor3d(r, [B, S, C]), { targetRule });
        return [s.tp, s.sumP, s.sumR].map((t) => Array.from(t.dataSync()));
      });
    expect(sums('unitInterval')).toEqual(sums('none'));
  });
});

describe.skipIf(fused)('fused softmax and overlap sums', () => {
  it.skip(NO_ADDON, () => undefined);
});
