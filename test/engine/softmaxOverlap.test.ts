import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/common/index.js';
import { fusedSoftmaxOverlap, softmaxOverlapAvailable } from '../../src/engine/index.js';
import { loadAddon } from '../../src/engine/node/addon.js';
import { resetEngine, selectEngine } from '../../src/engine/node/index.js';
import { generalizedDiceLoss, twoClassDiceLoss } from '../../src/losses/index.js';
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
process.stdout.write(createHash('sha256').update(Buffer.from(stats.buffer)).update(Buffer.from(dx.buffer)).digest('hex'));
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
  options?: Parameters<typeof generalizedDiceLoss>[0];
  oneHot?: boolean;
  absentLast?: boolean;
  scale?: number;
  /** Another loss on the fused kernel than GDL. */
  loss?: 'dl2';
}

const cases: Case[] = [
  { name: '3D, one-hot target, 3 classes', shape: [2, 6, 5, 4], classes: 3, oneHot: true },
  { name: '2D, label map, 2 classes, more voxels than one chunk', shape: [2, 130, 130], classes: 2 },
  { name: '3D, a class absent from the reference, background excluded', shape: [2, 5, 5, 5], classes: 4, absentLast: true, options: { includeBackground: false } },
  { name: 'large logits (softmax stability), batch mode', shape: [3, 7, 9], classes: 3, scale: 40, options: { batch: true } },
  { name: 'DL2 (two-class Dice), label map', shape: [2, 40, 30], classes: 2, loss: 'dl2' },
  { name: 'DL2 (two-class Dice), one-hot target, batch mode', shape: [3, 9, 8, 7], classes: 2, oneHot: true, loss: 'dl2', options: { batch: true } },
];

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
      const loss = c.loss === 'dl2' ? twoClassDiceLoss({ batch: c.options?.batch ?? false }) : generalizedDiceLoss(c.options);
      const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => loss(target, x) as tf.Scalar)(tensor(logits));
      return [value, grad];
    };
    const native = await onEngine('native', run);
    const stock = await onEngine('cpu', run);
    expect(relError(native[0]!, stock[0]!)).toBeLessThan(1e-5);
    expect(relError(native[1]!, stock[1]!)).toBeLessThan(1e-4);
    expect(Math.max(...stock[1]!.map(Math.abs))).toBeGreaterThan(0); // a gradient that can differ
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
