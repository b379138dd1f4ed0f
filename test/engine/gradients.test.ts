import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { installMissingGradients } from '../../src/engine/gradients/index.js';

/** max |a − b| / max(max |b|, 1e-6): one relative error for a whole tensor. */
function relError(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => {
    expect(a.shape).toEqual(b.shape);
    const diff = tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!;
    const scale = Math.max(tf.max(tf.abs(b)).dataSync()[0]!, 1e-6);
    return diff / scale;
  });
}

/** The filter with (d − 1) zeros inserted between taps, built from differentiable ops. */
function explicitlyDilated(w: tf.Tensor, d: number[]): tf.Tensor {
  const k = w.shape.slice(0, d.length);
  const rest = w.shape.slice(d.length);
  const spread = k.flatMap((v) => [v, 1]);
  const pads = [...d.flatMap((di): [number, number][] => [[0, 0], [0, di - 1]]), ...rest.map((): [number, number] => [0, 0])];
  const padded = tf.pad(tf.reshape(w, [...spread, ...rest]), pads);
  const full = tf.reshape(padded, [...k.map((v, i) => v * d[i]!), ...rest]);
  return tf.slice(full, new Array<number>(full.rank).fill(0), [...k.map((v, i) => (v - 1) * d[i]! + 1), ...rest]);
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  installMissingGradients();
});

describe('installMissingGradients', () => {
  it('is idempotent: same report, same registered gradients', () => {
    const first = installMissingGradients();
    const conv2d = tf.getGradient('Conv2D');
    const second = installMissingGradients();
    expect(second).toBe(first);
    expect(tf.getGradient('Conv2D')).toBe(conv2d);
    expect(first.kernels).toEqual(['Conv2D', 'Conv3D', 'Conv3DBackpropInputV2', 'FusedBatchNorm', 'MaxPool3D', 'Relu', 'GendiceFusedConv2D', 'GendiceFusedConv3D']);
    expect(first.conv3dLayerPatched).toBe(true);
    expect(first.fusedConv2dPatched).toBe(true);
  });
});

describe('tf.fused.conv2d while gradients are recorded', () => {
  // Two linear conv layers with bias (what TwoPathCNN's maxout paths use): TF.js's fused custom gradient
  // would compute the input gradient of both, the first one for nothing.
  const layers = () => {
    const input = tf.input({ shape: [9, 9, 1] });
    const c1 = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) });
    const c2 = tf.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) });
    return tf.model({ inputs: input, outputs: c2.apply(c1.apply(input)) as tf.SymbolicTensor });
  };
  it('computes only the input gradients on the path to the weights, with the same gradients', async () => {
    const model = layers();
    const x = tf.randomNormal([2, 9, 9, 1], 0, 1, 'float32', 3);
    const loss = () => tf.mean(tf.square(model.apply(x) as tf.Tensor)) as tf.Scalar;
    const profile = await tf.profile(() => {
      const { grads } = tf.variableGrads(loss);
      tf.dispose(grads);
    });
    const kernels = profile.kernels.map((k) => k.name);
    expect(kernels.filter((k) => k === 'Conv2DBackpropInput')).toHaveLength(1);
    expect(kernels.filter((k) => k === 'Conv2DBackpropFilter')).toHaveLength(2);
    // Outside gradient recording the fused kernel still runs.
    const inference = await tf.profile(() => tf.dispose(model.predict(x) as tf.Tensor));
    expect(inference.kernels.map((k) => k.name).filter((k) => k === 'FusedConv2D')).toHaveLength(2);
    // Same gradients as an explicit unfused computation.
    const [w1, b1, w2, b2] = model.getWeights();
    const reference = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => {
      const h = tf.add(tf.conv2d(x as tf.Tensor4D, a as tf.Tensor4D, 1, 'same'), b);
      return tf.mean(tf.square(tf.add(tf.conv2d(h as tf.Tensor4D, c as tf.Tensor4D, 1, 'same'), d)));
    })([w1!, b1!, w2!, b2!]);
    const { grads } = tf.variableGrads(loss);
    model.trainableWeights.forEach((w, i) => expect(relError(grads[w.originalName]!, reference[i]!)).toBeLessThan(1e-6));
    model.dispose();
  });
});

describe.each([
  { pad: 'same' as const, d: [2, 2], x: [1, 9, 11, 3], k: [3, 3] },
  { pad: 'same' as const, d: [2, 3], x: [2, 10, 7, 2], k: [3, 3] },
  { pad: 'valid' as const, d: [1, 2], x: [1, 9, 12, 2], k: [3, 2] },
  { pad: 'valid' as const, d: [3, 2], x: [2, 11, 9, 1], k: [2, 3] },
])('dilated conv2d gradient (pad $pad, dilations $d, x $x)', ({ pad, d, x: xShape, k }) => {
  it('equals the gradient of an undilated conv with an explicitly dilated filter', () => {
    const x = tf.randomNormal<tf.Rank>(xShape, 0, 1, 'float32', 1) as tf.Tensor4D;
    const w = tf.randomNormal<tf.Rank>([...k, xShape[3]!, 4], 0, 1, 'float32', 2) as tf.Tensor4D;
    const y = tf.conv2d(x, w, 1, pad, 'NHWC', d as [number, number]);
    const r = tf.randomNormal(y.shape, 0, 1, 'float32', 3);
    const ours = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, pad, 'NHWC', d as [number, number]), r)),
    )([x, w]);
    const ref = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, explicitlyDilated(b, d) as tf.Tensor4D, 1, pad), r)),
    )([x, w]);
    expect(relError(ours[0]!, ref[0]!)).toBeLessThan(1e-5);
    expect(relError(ours[1]!, ref[1]!)).toBeLessThan(1e-5);
    expect(tf.max(tf.abs(ours[1]!)).dataSync()[0]).toBeGreaterThan(0.1);
  });
});

describe.each([
  { pad: 'same' as const, d: [2, 2, 2], x: [1, 7, 8, 9, 2] },
  { pad: 'valid' as const, d: [1, 2, 3], x: [2, 6, 9, 10, 1] },
  { pad: 'same' as const, d: [4, 4, 4], x: [1, 5, 6, 5, 2] },
])('dilated conv3d gradient (pad $pad, dilations $d, x $x)', ({ pad, d, x: xShape }) => {
  it('equals the explicitly dilated reference and finite differences', () => {
    const x = tf.randomNormal<tf.Rank>(xShape, 0, 1, 'float32', 4) as tf.Tensor5D;
    const w = tf.randomNormal([3, 3, 3, xShape[4]!, 3], 0, 1, 'float32', 5) as tf.Tensor5D;
    const conv = (a: tf.Tensor, b: tf.Tensor): tf.Tensor =>
      tf.conv3d(a as tf.Tensor5D, b as tf.Tensor5D, 1, pad, 'NDHWC', d as [number, number, number]);
    const r = tf.randomNormal(conv(x, w).shape, 0, 1, 'float32', 6);
    const loss = (a: tf.Tensor, b: tf.Tensor): tf.Scalar => tf.sum(tf.mul(conv(a, b), r));
    const ours = tf.grads(loss)([x, w]);
    const ref = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(tf.conv3d(a as tf.Tensor5D, explicitlyDilated(b, d) as tf.Tensor5D, 1, pad), r)),
    )([x, w]);
    expect(relError(ours[0]!, ref[0]!)).toBeLessThan(1e-5);
    expect(relError(ours[1]!, ref[1]!)).toBeLessThan(1e-5);
    // The loss is linear in each argument, so a central difference is exact up to float32 rounding.
    const wData = w.dataSync();
    const gw = ours[1]!.dataSync();
    for (const i of [0, 7, 31, wData.length - 1]) {
      const h = 0.5;
      const plus = wData.slice();
      plus[i]! += h;
      const minus = wData.slice();
      minus[i]! -= h;
      const fd =
        (loss(x, tf.tensor(plus, w.shape)).dataSync()[0]! - loss(x, tf.tensor(minus, w.shape)).dataSync()[0]!) / (2 * h);
      expect(Math.abs(fd - gw[i]!)).toBeLessThan(2e-3 * Math.max(1, Math.abs(fd)));
    }
  });
});

describe('undilated convolutions keep their previous gradient', () => {
  it('conv3d dilation 1 gives the same gradient as the explicit path with d = 1', () => {
    const x = tf.randomNormal([1, 5, 6, 4, 2], 0, 1, 'float32', 7);
    const w = tf.randomNormal([3, 3, 3, 2, 2], 0, 1, 'float32', 8);
    const [gw] = tf.grads((b: tf.Tensor) => tf.sum(tf.square(tf.conv3d(x as tf.Tensor5D, b as tf.Tensor5D, 1, 'same'))))([w]);
    const [ref] = tf.grads((b: tf.Tensor) =>
      tf.sum(tf.square(tf.conv3d(x as tf.Tensor5D, explicitlyDilated(b, [1, 1, 1]) as tf.Tensor5D, 1, 'same'))),
    )([w]);
    expect(relError(gw!, ref!)).toBeLessThan(1e-6);
  });
});

describe('dilated tf.layers.conv2d with linear activation (fused path)', () => {
  it('trains: its kernel gradient equals the unfused reference', () => {
    const layer = tf.layers.conv2d({ filters: 2, kernelSize: 3, dilationRate: 2, padding: 'same', useBias: true });
    const x = tf.randomNormal([1, 9, 9, 2], 0, 1, 'float32', 9);
    layer.apply(x);
    const [kernel, bias] = layer.getWeights() as [tf.Tensor4D, tf.Tensor1D];
    const r = tf.randomNormal([1, 9, 9, 2], 0, 1, 'float32', 10);
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(x) as tf.Tensor, r)), layer.trainableWeights.map((w) => w.read() as tf.Variable));
    const [refK] = tf.grads((k: tf.Tensor) =>
      tf.sum(tf.mul(tf.add(tf.conv2d(x as tf.Tensor4D, explicitlyDilated(k, [2, 2]) as tf.Tensor4D, 1, 'same'), bias), r)),
    )([kernel]);
    const gK = Object.values(grads).find((g) => g.rank === 4)!;
    expect(relError(gK, refK!)).toBeLessThan(1e-5);
  });
});

describe('Conv3DBackpropInputV2 gradient (conv3dTranspose)', () => {
  describe.each([
    { strides: 2, pad: 'same' as const, dy: [1, 3, 2, 3, 3], out: [1, 6, 4, 6, 2], k: 2 },
    { strides: 1, pad: 'valid' as const, dy: [2, 3, 3, 2, 2], out: [2, 5, 5, 4, 1], k: 3 },
    { strides: 2, pad: 'same' as const, dy: [1, 2, 3, 2, 2], out: [1, 4, 6, 4, 3], k: 3 },
  ])('strides $strides, pad $pad, kernel $k', ({ strides, pad, dy: dyShape, out, k }) => {
    it('matches finite differences for both inputs', () => {
      const dy = tf.randomNormal<tf.Rank>(dyShape, 0, 1, 'float32', 11) as tf.Tensor5D;
      const w = tf.randomNormal([k, k, k, out[4]!, dyShape[4]!], 0, 1, 'float32', 12) as tf.Tensor5D;
      const r = tf.randomNormal(out, 0, 1, 'float32', 13);
      const f = (a: tf.Tensor, b: tf.Tensor): tf.Scalar =>
        tf.sum(tf.mul(tf.conv3dTranspose(a as tf.Tensor5D, b as tf.Tensor5D, out as [number, number, number, number, number], strides, pad), r));
      const [gA, gB] = tf.grads(f)([dy, w]);
      expect(gA!.shape).toEqual(dyShape);
      for (const [which, t, g] of [
        [0, dy, gA!],
        [1, w, gB!],
      ] as const) {
        const data = t.dataSync() as Float32Array;
        const gd = g.dataSync();
        for (const i of [0, 5, data.length - 1]) {
          const plus = data.slice();
          plus[i]! += 0.5;
          const minus = data.slice();
          minus[i]! -= 0.5;
          const at = (v: Float32Array): number =>
            (which === 0 ? f(tf.tensor(v, t.shape), w) : f(dy, tf.tensor(v, t.shape))).dataSync()[0]!;
          const fd = at(plus) - at(minus);
          expect(Math.abs(fd - gd[i]!)).toBeLessThan(2e-3 * Math.max(1, Math.abs(fd)));
        }
      }
    });
  });

  it('trains tf.layers.conv3dTranspose: one SGD step lowers a squared error', () => {
    const layer = tf.layers.conv3dTranspose({ filters: 1, kernelSize: 2, strides: 2, padding: 'same', kernelInitializer: 'ones' });
    const x = tf.randomNormal([1, 2, 2, 2, 2], 0, 1, 'float32', 14);
    const target = tf.randomNormal([1, 4, 4, 4, 1], 0, 1, 'float32', 15);
    const loss = (): tf.Scalar => tf.mean(tf.square(tf.sub(layer.apply(x) as tf.Tensor, target)));
    const before = loss().dataSync()[0]!;
    tf.train.sgd(0.05).minimize(loss);
    expect(loss().dataSync()[0]!).toBeLessThan(before);
  });
});

describe('FusedBatchNorm gradient on rank 5', () => {
  it('equals the stock gradient of the same data viewed as rank 4, for all five inputs', () => {
    const x = tf.randomNormal([2, 3, 4, 5, 3], 0, 1, 'float32', 16);
    const mean = tf.tensor1d([0.1, -0.2, 0.3]);
    const variance = tf.tensor1d([0.5, 1.5, 2]);
    const offset = tf.tensor1d([0.2, 0, -0.1]);
    const scale = tf.tensor1d([1.5, 0.5, 2]);
    const r = tf.randomNormal(x.shape, 0, 1, 'float32', 17);
    const f = (view: number[]) => (a: tf.Tensor, m: tf.Tensor, v: tf.Tensor, o: tf.Tensor, s: tf.Tensor): tf.Scalar =>
      tf.sum(tf.mul(tf.reshape(tf.batchNorm(tf.reshape(a, view), m, v, o, s), x.shape), r));
    const ours = tf.grads(f([2, 3, 4, 5, 3]))([x, mean, variance, offset, scale]);
    const ref = tf.grads(f([2, 12, 5, 3]))([x, mean, variance, offset, scale]);
    ours.forEach((g, i) => expect(relError(g, ref[i]!)).toBeLessThan(1e-5));
  });
});

describe('memory', () => {
  it('dilated 3D gradients leave no tensors behind', () => {
    const x = tf.randomNormal([1, 6, 6, 6, 2]);
    const w = tf.randomNormal([3, 3, 3, 2, 2]);
    const step = (): void => {
      tf.tidy(() => {
        tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.conv3d(a as tf.Tensor5D, b as tf.Tensor5D, 1, 'same', 'NDHWC', 2))))([x, w]);
      });
    };
    step();
    const before = tf.memory().numTensors;
    step();
    step();
    expect(tf.memory().numTensors).toBe(before);
  });
});
