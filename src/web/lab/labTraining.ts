/**
 * The lab's experiment: the same phantoms, the same network and the same initial weights, trained once
 * per loss with Adam; one optimiser step at a time so the page can draw between steps. Universal (TF.js
 * only): it runs on whatever backend `selectEngine` picked.
 */
import * as tf from '@tensorflow/tfjs';
import { generatePhantom } from '../../data/phantom.js';
import { getLoss } from '../../losses/registry.js';
import type { LossFunction } from '../../losses/lossFunction.js';
import { dice } from '../../metrics/dice.js';
import { twoPathCnn, twoPathCnnGeometry } from '../../networks/twoPathCnn.js';
import { unet2d } from '../../networks/unet2d.js';
import type { LabNetwork, LabSettings } from './labSettings.js';

/** The held-out phantom shown in the page: its image (in [0, 1] for display) and its lesion mask. */
export interface ShownPhantom {
  size: number;
  image: Float32Array;
  label: Uint8Array;
}

/** One loss's run: its loss per step, the held-out Dice per step and the latest predicted mask. */
export interface LossRun {
  loss: string;
  losses: number[];
  dice: number[];
  prediction: Uint8Array;
}

const TWO_PATH = { localFilters: 8, globalFilters: 16 } as const;

/** Builds the lab's network (logits out; the losses apply softmax). */
function buildNetwork(network: LabNetwork, seed: number): tf.LayersModel {
  const common = { classes: 2, outputActivation: 'none' as const, seed };
  if (network === 'twoPathCnn') return twoPathCnn({ ...common, ...TWO_PATH });
  return unet2d({ ...common, ...(network === 'unet2d' ? { depth: 3, baseFilters: 8 } : { depth: 2, baseFilters: 4 }) });
}

/** The padding that gives a network with a smaller output an output of the input's size. */
function marginOf(network: LabNetwork): number {
  return network === 'twoPathCnn' ? (twoPathCnnGeometry(TWO_PATH).receptiveField - 1) / 2 : 0;
}

/** Phantoms as tensors: `cases` training images and one held-out image (seed + cases), z-scored. */
function phantoms(s: LabSettings): { images: Float32Array[]; labels: Uint8Array[] } {
  const images: Float32Array[] = [];
  const labels: Uint8Array[] = [];
  for (let i = 0; i <= s.cases; i++) {
    const p = generatePhantom({ dims: 2, size: s.size, foregroundFraction: s.foreground, seed: s.seed * 1000 + i });
    images.push(Float32Array.from(p.image.data as ArrayLike<number>));
    labels.push(Uint8Array.from(p.label.data as ArrayLike<number>));
  }
  return { images, labels };
}

/** Zero mean, unit variance over all pixels. */
function zScore(data: Float32Array): Float32Array {
  let mean = 0;
  for (const v of data) mean += v;
  mean /= data.length;
  let variance = 0;
  for (const v of data) variance += (v - mean) ** 2;
  const sd = Math.sqrt(variance / data.length) || 1;
  return data.map((v) => (v - mean) / sd);
}

/** Scaled to [0, 1] for display. */
function unitRange(data: Float32Array): Float32Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of data) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return data.map((v) => (hi > lo ? (v - lo) / (hi - lo) : 0));
}

/** Both losses' models, optimisers and data; `step()` trains each model one step. */
export class LabExperiment {
  readonly shown: ShownPhantom;
  readonly runs: LossRun[];
  private readonly models: tf.LayersModel[];
  private readonly optimizers: tf.Optimizer[];
  private readonly lossFns: LossFunction[];
  private readonly x: tf.Tensor4D;
  private readonly y: tf.Tensor4D;
  private readonly shownX: tf.Tensor4D;
  private readonly shownY: tf.Tensor4D;
  private readonly margin: number;
  step = 0;

  constructor(readonly settings: LabSettings) {
    const s = settings;
    const { images, labels } = phantoms(s);
    const n = s.size;
    this.margin = marginOf(s.network);
    const m = this.margin;
    const pad = (t: tf.Tensor4D): tf.Tensor4D => (m > 0 ? tf.pad(t, [[0, 0], [m, m], [m, m], [0, 0]]) : t);
    const stack = (arrays: Float32Array[]): Float32Array => {
      const out = new Float32Array(arrays.length * n * n);
      arrays.forEach((a, i) => out.set(zScore(a), i * n * n));
      return out;
    };
    const oneHot = (masks: Uint8Array[]): tf.Tensor4D =>
      tf.tidy(() => tf.oneHot(tf.tensor1d(Int32Array.from(masks.flatMap((l) => Array.from(l))), 'int32'), 2).toFloat().reshape([masks.length, n, n, 2]));
    this.x = tf.tidy(() => pad(tf.tensor4d(stack(images.slice(0, s.cases)), [s.cases, n, n, 1])));
    this.y = oneHot(labels.slice(0, s.cases));
    this.shownX = tf.tidy(() => pad(tf.tensor4d(stack(images.slice(s.cases)), [1, n, n, 1])));
    this.shownY = tf.tensor4d(Float32Array.from(labels[s.cases]!), [1, n, n, 1]);
    this.shown = { size: n, image: unitRange(images[s.cases]!), label: labels[s.cases]! };
    this.lossFns = [getLoss(s.lossA), getLoss(s.lossB)];
    this.models = [buildNetwork(s.network, s.seed), buildNetwork(s.network, s.seed)];
    this.optimizers = [tf.train.adam(s.learningRate), tf.train.adam(s.learningRate)];
    this.runs = [s.lossA, s.lossB].map((loss) => ({ loss, losses: [], dice: [], prediction: new Uint8Array(n * n) }));
  }

  /** One Adam step per loss on the training batch, then the held-out prediction and Dice of each. */
  async trainStep(): Promise<void> {
    for (let i = 0; i < 2; i++) {
      const model = this.models[i]!;
      const lossFn = this.lossFns[i]!;
      const value = this.optimizers[i]!.minimize(() => lossFn(this.y, model.apply(this.x, { training: true }) as tf.Tensor) as tf.Scalar, true)!;
      const run = this.runs[i]!;
      run.losses.push((await value.data())[0]!);
      value.dispose();
      const mask = tf.tidy(() => (model.predict(this.shownX) as tf.Tensor).argMax(-1).reshape([1, this.settings.size, this.settings.size, 1]));
      run.prediction = Uint8Array.from(await mask.data());
      const score = dice(mask, this.shownY, { numClasses: 2 });
      run.dice.push(score.values[0]![1]!);
      mask.dispose();
    }
    this.step++;
  }

  dispose(): void {
    this.models.forEach((m) => m.dispose());
    this.optimizers.forEach((o) => o.dispose());
    tf.dispose([this.x, this.y, this.shownX, this.shownY]);
  }
}
