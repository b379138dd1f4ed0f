import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { diceLoss, generalizedWassersteinDiceLoss, getLoss } from '../../src/losses/index.js';
import { Random } from '../../src/common/random.js';

const TREE = [
  [0, 1, 1],
  [1, 0, 0.5],
  [1, 0.5, 0],
];

function value(t: tf.Tensor): number[] {
  const v = Array.from(t.dataSync());
  t.dispose();
  return v;
}

/** Float64 reference of the formula for one image: probabilities [S][C], labels [S]. */
function gwdlRef(p: number[][], g: number[], M: number[][], weighting: 'paper' | 'gdl', nr = 1e-5, dr = 1e-5): number {
  const C = M.length;
  const max = Math.max(...M.flat());
  const m = M.map((row) => row.map((v) => v / max));
  const W = p.map((pi, i) => pi.reduce((s, pl, l) => s + m[g[i]!]![l]! * pl, 0));
  let tp = 0;
  let den = 0;
  if (weighting === 'paper') {
    const alpha = Array.from({ length: C }, (_, l) => (l === 0 ? 0 : m[l]![0]!));
    g.forEach((gi, i) => (tp += alpha[gi]! * (alpha[gi]! - W[i]!)));
    den = 2 * tp + W.reduce((s, w) => s + w, 0);
  } else {
    const V = Array.from({ length: C }, (_, l) => g.filter((x) => x === l).length);
    g.forEach((gi, i) => {
      const a = 1 / (V[gi]! + 1);
      tp += a * (1 - W[i]!);
      den += a * (2 - W[i]!);
    });
  }
  return 1 - (2 * tp + nr) / (den + dr);
}

function softmax(logits: number[]): number[] {
  const mx = Math.max(...logits);
  const e = logits.map((x) => Math.exp(x - mx));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / z);
}

describe('generalizedWassersteinDiceLoss: hand-computed values', () => {
  it('binary, M = 1 − I: the foreground soft Dice loss, 1 − 3/3.8', () => {
    const p = tf.tensor([0.1, 0.9, 0.4, 0.6, 0.8, 0.2, 0.9, 0.1], [1, 4, 2]);
    const g = tf.tensor([1, 1, 0, 0], [1, 4, 1], 'int32');
    const [v] = value(generalizedWassersteinDiceLoss({ activation: 'none', smoothNr: 0, smoothDr: 0 })(g, p));
    expect(v).toBeCloseTo(1 - 3 / 3.8, 6);
    tf.dispose([p, g]);
  });

  it('three classes with a tree distance: 1 − 1.5/1.95 (paper weights), 1 − 1.55/1.775 (GDL weights)', () => {
    // voxel 1: class 1, p = [0.1, 0.6, 0.3] → W = 0.1·1 + 0.3·0.5 = 0.25; voxel 2: class 0, p = [0.8, 0.1, 0.1] → W = 0.2.
    const p = tf.tensor([0.1, 0.6, 0.3, 0.8, 0.1, 0.1], [1, 2, 3]);
    const g = tf.tensor([1, 0], [1, 2, 1], 'int32');
    const [paper] = value(generalizedWassersteinDiceLoss({ activation: 'none', distanceMatrix: TREE, smoothNr: 0, smoothDr: 0 })(g, p));
    expect(paper).toBeCloseTo(1 - 1.5 / 1.95, 6);
    const [gdl] = value(generalizedWassersteinDiceLoss({ activation: 'none', distanceMatrix: TREE, weighting: 'gdl', smoothNr: 0, smoothDr: 0 })(g, p));
    expect(gdl).toBeCloseTo(1 - 1.55 / 1.775, 6);
    // Without the tree (all errors equal) the same prediction costs more: 1 − 1.2/1.8.
    const [flat] = value(generalizedWassersteinDiceLoss({ activation: 'none', smoothNr: 0, smoothDr: 0 })(g, p));
    expect(flat).toBeCloseTo(1 - 1.2 / 1.8, 6);
    tf.dispose([p, g]);
  });

  it('the matrix is scaled to a largest entry of 1; one-hot targets equal label maps', () => {
    const p = tf.tensor([0.1, 0.6, 0.3, 0.8, 0.1, 0.1], [1, 2, 3]);
    const g = tf.tensor([1, 0], [1, 2, 1], 'int32');
    const oneHot = tf.tensor([0, 1, 0, 1, 0, 0], [1, 2, 3]);
    const scaled = TREE.map((row) => row.map((v) => v * 4));
    const [a] = value(generalizedWassersteinDiceLoss({ activation: 'none', distanceMatrix: TREE })(g, p));
    const [b] = value(generalizedWassersteinDiceLoss({ activation: 'none', distanceMatrix: scaled })(g, p));
    const [c] = value(generalizedWassersteinDiceLoss({ activation: 'none', distanceMatrix: TREE })(oneHot, p));
    expect(b).toBeCloseTo(a!, 6);
    expect(c).toBeCloseTo(a!, 6);
    tf.dispose([p, g, oneHot]);
  });

  it('a perfect prediction gives 0, also for an all-background image', () => {
    const p = tf.tensor([1, 0, 0, 0, 0, 1], [1, 2, 3]);
    const g = tf.tensor([0, 2], [1, 2, 1], 'int32');
    expect(value(generalizedWassersteinDiceLoss({ activation: 'none', distanceMatrix: TREE })(g, p))[0]).toBeCloseTo(0, 6);
    const bg = tf.tensor([1, 0, 0, 1, 0, 0], [1, 2, 3]);
    const g0 = tf.tensor([0, 0], [1, 2, 1], 'int32');
    expect(value(generalizedWassersteinDiceLoss({ activation: 'none', distanceMatrix: TREE })(g0, bg))[0]).toBeCloseTo(0, 6);
    tf.dispose([p, g, bg, g0]);
  });
});

describe('generalizedWassersteinDiceLoss: batches larger than one (MONAI issue 4650)', () => {
  const rng = new Random(11);
  const B = 3;
  const S = 10;
  const C = 3;
  const logits = Array.from({ length: B * S * C }, () => rng.normal() * 2);
  const labels = Array.from({ length: B * S }, () => rng.int(0, C - 1));
  const yPred = tf.tensor(logits, [B, S, 1, C]);
  const yTrue = tf.tensor(labels, [B, S, 1, 1], 'int32');

  it.each(['paper', 'gdl'] as const)('%s: one value per image, each equal to the loss of that image alone and to the float64 reference', (weighting) => {
    const loss = generalizedWassersteinDiceLoss({ distanceMatrix: TREE, weighting, reduction: 'none' });
    const perImage = value(loss(yTrue, yPred));
    expect(perImage).toHaveLength(B);
    for (let b = 0; b < B; b++) {
      const single = tf.slice(yPred, [b, 0, 0, 0], [1, S, 1, C]);
      const singleTrue = tf.slice(yTrue, [b, 0, 0, 0], [1, S, 1, 1]);
      const [alone] = value(loss(singleTrue, single));
      expect(perImage[b]).toBeCloseTo(alone!, 6);
      const p = Array.from({ length: S }, (_, s) => softmax(logits.slice((b * S + s) * C, (b * S + s + 1) * C)));
      expect(perImage[b]).toBeCloseTo(gwdlRef(p, labels.slice(b * S, (b + 1) * S), TREE, weighting), 5);
      tf.dispose([single, singleTrue]);
    }
    const [mean] = value(generalizedWassersteinDiceLoss({ distanceMatrix: TREE, weighting })(yTrue, yPred));
    expect(mean).toBeCloseTo(perImage.reduce((a, b) => a + b, 0) / B, 6);
  });

  it('binary, M = 1 − I: per image equal to the foreground Dice loss (where MONAI 1.5 is not)', () => {
    const p2 = tf.tensor(logits.slice(0, B * S * 2), [B, S, 1, 2]);
    const g2 = tf.tensor(labels.map((l) => l % 2), [B, S, 1, 1], 'int32');
    const gw = value(generalizedWassersteinDiceLoss({ reduction: 'none' })(g2, p2));
    const dl = value(diceLoss({ includeBackground: false, reduction: 'none' })(g2, p2));
    gw.forEach((v, b) => expect(v).toBeCloseTo(dl[b]!, 5));
    tf.dispose([p2, g2]);
  });

  it('batch: true pools the sums over the batch', () => {
    const [pooled] = value(generalizedWassersteinDiceLoss({ distanceMatrix: TREE, batch: true })(yTrue, yPred));
    const all = tf.reshape(yPred, [1, B * S, 1, C]);
    const allTrue = tf.reshape(yTrue, [1, B * S, 1, 1]);
    const [asOne] = value(generalizedWassersteinDiceLoss({ distanceMatrix: TREE })(allTrue, all));
    expect(pooled).toBeCloseTo(asOne!, 6);
    tf.dispose([all, allTrue]);
  });

  it('leaks no tensors over calls and gradients', () => {
    const loss = generalizedWassersteinDiceLoss({ distanceMatrix: TREE, weighting: 'gdl' });
    const grad = tf.grad((x: tf.Tensor) => loss(yTrue, x));
    tf.dispose([loss(yTrue, yPred), grad(yPred)]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) tf.dispose([loss(yTrue, yPred), grad(yPred)]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('generalizedWassersteinDiceLoss: gradient against finite differences of the float64 reference', () => {
  it.each(['paper', 'gdl'] as const)('%s, B = 2', (weighting) => {
    const rng = new Random(5);
    const B = 2;
    const S = 4;
    const C = 3;
    const logits = Array.from({ length: B * S * C }, () => rng.normal());
    const labels = Array.from({ length: B * S }, () => rng.int(0, C - 1));
    const yPred = tf.tensor(logits, [B, S, 1, C]);
    const yTrue = tf.tensor(labels, [B, S, 1, 1], 'int32');
    const loss = getLoss('gwdl', { distanceMatrix: TREE, weighting });
    const g = value(tf.grad((x: tf.Tensor) => loss(yTrue, x))(yPred));
    const f64 = Float64Array.from(yPred.dataSync());
    const total = (z: Float64Array): number => {
      let sum = 0;
      for (let b = 0; b < B; b++) {
        const p = Array.from({ length: S }, (_, s) => softmax(Array.from(z.slice((b * S + s) * C, (b * S + s + 1) * C))));
        sum += gwdlRef(p, labels.slice(b * S, (b + 1) * S), TREE, weighting);
      }
      return sum / B;
    };
    const h = 1e-5;
    for (let k = 0; k < f64.length; k++) {
      const plus = Float64Array.from(f64);
      const minus = Float64Array.from(f64);
      plus[k] = plus[k]! + h;
      minus[k] = minus[k]! - h;
      const fd = (total(plus) - total(minus)) / (2 * h);
      expect(Math.abs(g[k]! - fd)).toBeLessThanOrEqual(2e-4 + 2e-3 * Math.abs(fd));
    }
    tf.dispose([yPred, yTrue]);
  });
});

describe('generalizedWassersteinDiceLoss: bad options and inputs', () => {
  it.each([
    [{ distanceMatrix: [[0, 1]] }, "generalizedWassersteinDiceLoss: distanceMatrix must be a square array of at least 2×2 numbers; got [[0,1]]"],
    [{ distanceMatrix: [[0, 1], [-1, 0]] }, 'generalizedWassersteinDiceLoss: distanceMatrix[1][0] must be a finite number >= 0; got -1'],
    [{ distanceMatrix: [[0, Number.NaN], [1, 0]] }, 'generalizedWassersteinDiceLoss: distanceMatrix[0][1] must be a finite number >= 0; got NaN'],
    [{ distanceMatrix: [[0.5, 1], [1, 0]] }, 'generalizedWassersteinDiceLoss: distanceMatrix[0][0] must be 0 (a class is at distance 0 from itself); got 0.5'],
    [{ distanceMatrix: [[0, 0], [0, 0]] }, 'generalizedWassersteinDiceLoss: distanceMatrix must hold a positive distance; got all zeros'],
    [{ weighting: 'GDL' }, "generalizedWassersteinDiceLoss: weighting must be one of 'paper', 'gdl'; got 'GDL' (did you mean 'gdl'?)"],
    [{ includeBackground: false }, 'generalizedWassersteinDiceLoss: includeBackground: false is not supported'],
    [{ distanceMatrx: TREE }, "generalizedWassersteinDiceLoss: unknown option 'distanceMatrx'"],
  ])('%j', (options, message) => {
    expect(() => generalizedWassersteinDiceLoss(options as never)).toThrow(message);
  });

  it('refuses a matrix of the wrong size, one class and soft targets at the call', () => {
    const p = tf.zeros([1, 2, 1, 2]);
    const g = tf.tensor([0, 1], [1, 2, 1, 1], 'int32');
    expect(() => generalizedWassersteinDiceLoss({ distanceMatrix: TREE })(g, p)).toThrow(
      'generalizedWassersteinDiceLoss: distanceMatrix is 3×3 but yPred [1, 2, 1, 2] has 2 classes',
    );
    const one = tf.zeros([1, 2, 1, 1]);
    expect(() => generalizedWassersteinDiceLoss({ activation: 'sigmoid' })(tf.zeros([1, 2, 1, 1]), one)).toThrow(
      'generalizedWassersteinDiceLoss: needs at least 2 classes, got yPred [1, 2, 1, 1]',
    );
    const soft = tf.tensor([0.5, 0.5, 1, 0], [1, 2, 1, 2]);
    expect(() => generalizedWassersteinDiceLoss()(soft, p)).toThrow('generalizedWassersteinDiceLoss: yTrue must hold hard labels 0 or 1, got 0.5');
    tf.dispose([p, g, one, soft]);
  });
});
