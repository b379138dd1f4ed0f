import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  diceCrossEntropyLoss,
  diceLoss,
  focalLoss,
  generalizedDiceLoss,
  getLoss,
  LOSS_NAMES,
  sensitivitySpecificityLoss,
  tverskyLoss,
  twoClassDiceLoss,
  weightedCrossEntropyLoss,
} from '../../src/losses/index.js';
import * as ref from './reference.js';

// Hand-computed values on tiny tensors, each in a 2D ([B, 2, 2, C]) and a 3D ([B, 1, 2, 2, C]) layout.
const layouts: Array<[string, (b: number, c: number) => number[]]> = [
  ['2D', (b, c) => [b, 2, 2, c]],
  ['3D', (b, c) => [b, 1, 2, 2, c]],
];
const close = (got: tf.Tensor, want: number | number[], tol = 2e-5): void => {
  const g = Array.from(got.dataSync());
  const w = Array.isArray(want) ? want : [want];
  expect(g.length).toBe(w.length);
  g.forEach((v, i) => expect(Math.abs(v - w[i]!)).toBeLessThanOrEqual(tol));
};

// Binary case: p = [0.8, 0.2, 0.1, 0.4] (probabilities, activation 'none'), r = [1, 0, 0, 0].
const pBin = [0.8, 0.2, 0.1, 0.4];
const rBin = [1, 0, 0, 0];
// Three classes, class 2 absent from the reference: labels [0, 0, 1, 1].
const p3 = [1, 0, 0, 0.5, 0.5, 0, 0, 1, 0, 0, 0.5, 0.5];
const labels3 = [0, 0, 1, 1];

describe.each(layouts)('%s hand-computed values', (_name, shape) => {
  const bin = () => [tf.tensor(rBin, shape(1, 1)), tf.tensor(pBin, shape(1, 1))] as const;

  it('perfect prediction gives 0 for every overlap loss, cross-entropy and SS', () => {
    const r = tf.tensor([1, 0, 0, 1, 0, 1, 1, 0], shape(1, 2));
    for (const loss of [generalizedDiceLoss(), diceLoss(), tverskyLoss(), twoClassDiceLoss(), sensitivitySpecificityLoss(), weightedCrossEntropyLoss(), focalLoss()]) {
      const opts = { activation: 'none' as const };
      const l = getLoss(loss.lossName, opts);
      close(l(r, r), 0, 3e-5);
    }
  });

  it('an all-wrong prediction gives ≈ 1 for GDL, Dice, DL2 and SS', () => {
    const r = tf.tensor([1, 0, 0, 1, 0, 1, 1, 0], shape(1, 2));
    const p = tf.sub(1, r);
    for (const name of ['gdl', 'dice', 'dl2', 'ss']) close(getLoss(name, { activation: 'none' })(r, p), 1, 1e-4);
  });

  it('binary losses on p = [0.8, 0.2, 0.1, 0.4], r = [1, 0, 0, 0]', () => {
    const [r, p] = bin();
    // DL2: 1 - 0.8/2.5 - 2.3/5.5
    close(twoClassDiceLoss({ activation: 'none', epsilon: 0 })(r, p), 1 - 0.32 - 2.3 / 5.5);
    // Tversky α=0.3, β=0.7: tp 0.8, fp 0.7, fn 0.2.
    close(tverskyLoss({ activation: 'none', alpha: 0.3, beta: 0.7, smoothNr: 0, smoothDr: 0 })(r, p), 1 - 0.8 / 1.15);
    // SS λ=0.05: sensitivity 0.04/1, specificity (0.04 + 0.01 + 0.16)/3.
    close(sensitivitySpecificityLoss({ activation: 'none', epsilon: 0 })(r, p), 0.05 * 0.04 + 0.95 * 0.07);
    // WCE, w from the reference: (4 - 1)/1 = 3; from the prediction: (4 - 1.5)/1.5.
    const terms = (w: number) => -(w * Math.log(0.8) + Math.log(0.8) + Math.log(0.9) + Math.log(0.6)) / 4;
    close(weightedCrossEntropyLoss({ activation: 'none' })(r, p), terms(3));
    close(weightedCrossEntropyLoss({ activation: 'none', weightFrom: 'prediction' })(r, p), terms(2.5 / 1.5));
    // Focal γ=2: Σ -(1-p_t)² log p_t over voxels, / 4.
    const focal = -(0.04 * Math.log(0.8) + 0.04 * Math.log(0.8) + 0.01 * Math.log(0.9) + 0.16 * Math.log(0.6)) / 4;
    close(focalLoss({ activation: 'none' })(r, p), focal);
    close(focalLoss({ activation: 'none', gamma: 0 })(r, p), terms(1));
    // Dice (one channel): 1 - 1.6/2.5.
    close(diceLoss({ activation: 'none', smoothNr: 0, smoothDr: 0 })(r, p), 1 - 1.6 / 2.5);
    // GDL with one channel equals Dice (a single weight cancels).
    close(generalizedDiceLoss({ activation: 'none', smoothNr: 0, smoothDr: 0 })(r, p), 1 - 1.6 / 2.5);
  });

  it('a class absent from the reference: GDL weight policies and per-class Dice', () => {
    const r = tf.tensor(labels3, [...shape(1, 3).slice(0, -1), 1], 'int32');
    const p = tf.tensor(p3, shape(1, 3));
    // Σr = [2, 2, 0]; tp = [1.5, 1.5, 0]; Σp + Σr = [3.5, 4, 0.5]; square weights [1/4, 1/4, inf].
    close(generalizedDiceLoss({ activation: 'none', smoothNr: 0, smoothDr: 0 })(r, p), 1 - 1.5 / 2); // inf -> max = 1/4
    close(generalizedDiceLoss({ activation: 'none', smoothNr: 0, smoothDr: 0, emptyClassWeight: 'zero' })(r, p), 1 - 1.5 / 1.875);
    close(generalizedDiceLoss({ activation: 'none', smoothNr: 0, smoothDr: 0, emptyClassWeight: 1 })(r, p), 1 - 1.5 / (1.875 + 0.5));
    close(generalizedDiceLoss({ activation: 'none', smoothNr: 0, smoothDr: 0, weightType: 'simple' })(r, p), 1 - 3 / 4); // w = [1/2, 1/2, inf -> 1/2]
    close(generalizedDiceLoss({ activation: 'none', smoothNr: 0, smoothDr: 0, weightType: 'uniform' })(r, p), 1 - 6 / 8);
    close(diceLoss({ activation: 'none', reduction: 'none' })(r, p), [1 - 3 / 3.5, 1 - 3 / 4, 1 - 1e-5 / (0.5 + 1e-5)]);
  });

  it('a class absent from one image of the batch takes that image\'s largest weight, or the batch\'s with batch: true', () => {
    // Image 0: labels [0, 0, 1, 1] (class 2 absent); image 1: labels [0, 1, 2, 2].
    const r = tf.tensor([...labels3, 0, 1, 2, 2], [...shape(2, 3).slice(0, -1), 1], 'int32');
    const p = tf.tensor([...p3, ...p3], shape(2, 3));
    const perImage = generalizedDiceLoss({ activation: 'none', reduction: 'none', smoothNr: 0, smoothDr: 0 })(r, p);
    // Image 1: Σr = [1, 1, 2], w = [1, 1, 1/4]; tp = [1, 0.5, 0.5]; Σp + Σr = [2.5, 3, 2.5].
    const image1 = 1 - (2 * (1 + 0.5 + 0.125)) / (2.5 + 3 + 2.5 / 4);
    close(perImage, [0.25, image1]);
    // Batch: Σr = [3, 3, 2] -> w = [1/9, 1/9, 1/4]; tp = [2.5, 2, 0.5]; Σp + Σr = [6, 7, 3].
    const pooled = 1 - (2 * (2.5 / 9 + 2 / 9 + 0.5 / 4)) / (6 / 9 + 7 / 9 + 3 / 4);
    close(generalizedDiceLoss({ activation: 'none', batch: true, smoothNr: 0, smoothDr: 0 })(r, p), pooled);
  });

  it('an all-background batch', () => {
    const r = tf.zeros([...shape(2, 2).slice(0, -1), 1], 'int32');
    const p = tf.tensor(new Array(8).fill([0.9, 0.1]).flat(), shape(2, 2));
    // Background weight 1/N² for both classes (class 1 absent takes the max): 1 - 1.8N/2N.
    close(generalizedDiceLoss({ activation: 'none' })(r, p), 0.1, 1e-4);
    // Without background nothing is present: every weight is 0 and the loss is 1 - smoothNr/smoothDr = 0.
    close(generalizedDiceLoss({ activation: 'none', includeBackground: false })(r, p), 0);
    // DL2: foreground term ε/(0.4 + ε); background term 3.6/7.6.
    close(twoClassDiceLoss({ activation: 'none' })(r, p), 1 - 1e-5 / (0.4 + 1e-5) - (3.6 + 1e-5) / (7.6 + 1e-5));
    // DL2 as printed: a perfect empty prediction gives -0.5.
    const pEmpty = tf.tensor(new Array(8).fill([1, 0]).flat(), shape(2, 2));
    close(twoClassDiceLoss({ activation: 'none' })(r, pEmpty), -0.5);
    // Dice on an empty class predicted empty: 0 thanks to the smoothing terms.
    close(diceLoss({ activation: 'none', includeBackground: false })(r, pEmpty), 0);
  });

  it('every registered loss has a hand-checked case above', () => {
    expect(LOSS_NAMES).toEqual(['gdl', 'dice', 'dl2', 'wce', 'ss', 'tversky', 'focal', 'dice-ce', 'gwdl']); // gwdl: test/losses/wassersteinDice.test.ts
    // dice-ce = Dice + CE on the binary case.
    const [r, p] = bin();
    const ce = -(Math.log(0.8) + Math.log(0.8) + Math.log(0.9) + Math.log(0.6)) / 4;
    close(diceCrossEntropyLoss({ activation: 'none', smoothNr: 0, smoothDr: 0 })(r, p), 1 - 1.6 / 2.5 + ce);
  });
});

describe('one foreground voxel in an 85³ volume', () => {
  it.each(['gdl', 'dice', 'dl2', 'wce', 'ss', 'tversky', 'focal', 'dice-ce'])('%s: loss and gradient finite, and the float64 reference agrees for GDL', (name) => {
    const n = 85 ** 3;
    const labels = new Int32Array(n);
    labels[Math.floor(n / 2)] = 1;
    const yTrue = tf.tensor(labels, [1, 85, 85, 85, 1], 'int32');
    const yPred = tf.zeros([1, 85, 85, 85, 2]);
    const loss = getLoss(name);
    const { value, grad: g } = tf.valueAndGrad((x: tf.Tensor) => loss(yTrue, x) as tf.Scalar)(yPred);
    const v = value.dataSync()[0]!;
    expect(Number.isFinite(v)).toBe(true);
    const gv = g.dataSync();
    let finite = true;
    let maxAbs = 0;
    for (let i = 0; i < gv.length; i++) {
      if (!Number.isFinite(gv[i]!)) finite = false;
      maxAbs = Math.max(maxAbs, Math.abs(gv[i]!));
    }
    expect(finite).toBe(true);
    expect(maxAbs).toBeGreaterThan(0);
    if (name === 'gdl') {
      const target = new Float64Array(n * 2);
      for (let i = 0; i < n; i++) target[i * 2 + labels[i]!] = 1;
      const expected = ref.gdlRef(
        { B: 1, S: n, C: 2, logits: new Float64Array(n * 2), target },
        { activation: 'softmax', includeBackground: true, reduction: 'mean', batch: false, weightType: 'square', emptyClassWeight: 'max', smoothNr: 1e-5, smoothDr: 1e-5, softLabel: false },
      )[0]!;
      expect(Math.abs(v - expected)).toBeLessThan(1e-5);
      // The foreground voxel's gradient dominates: the rare class is not drowned by the background.
      const fgIndex = Math.floor(n / 2) * 2 + 1;
      expect(Math.abs(gv[fgIndex]!)).toBeCloseTo(maxAbs, 6);
    }
    tf.dispose([yTrue, yPred, value, g]);
  });
});
