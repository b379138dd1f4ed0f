import * as tf from '@tensorflow/tfjs';
import { windowStarts, type SlidingWindowOptions } from '../../src/inference/index.js';

/**
 * The sliding-window algorithm as it stood before the blending kernels (commit 9f55eaf), voxel by voxel:
 * the reference that slidingWindowInference must match bit for bit. No argument checks.
 */
export function referenceSlidingWindow(predictor: tf.LayersModel | ((x: tf.Tensor) => tf.Tensor), image: Float32Array, spatialShape: readonly number[], options: SlidingWindowOptions): { output: Float32Array; channels: number; windows: number } {
  const rank = spatialShape.length;
  const win = [...options.windowSize];
  const C = image.length / spatialShape.reduce((a, v) => a * v, 1);
  const overlap = options.overlap ?? 0.25;
  const out = options.outputShapeFor ? options.outputShapeFor(win) : win;
  const D = [spatialShape[0]!, spatialShape[1]!, spatialShape[2] ?? 1];
  const W = [win[0]!, win[1]!, win[2] ?? 1];
  const O = [out[0]!, out[1]!, out[2] ?? 1];
  const L = W.map((w, i) => Math.floor((w - O[i]!) / 2));
  const E = D.map((d, i) => Math.max(d, O[i]!));
  const starts = E.map((e, i) => windowStarts(e, O[i]!, Math.max(1, Math.floor(O[i]! * (1 - overlap)))));
  const positions: number[][] = [];
  for (const sx of starts[0]!) for (const sy of starts[1]!) for (const sz of starts[2]!) positions.push([sx, sy, sz]);

  // The importance map, as slidingWindow.ts computes it.
  const weights = new Float64Array(O[0]! * O[1]! * O[2]!);
  if ((options.blending ?? 'gaussian') === 'constant') weights.fill(1);
  else {
    const axis = (n: number): Float64Array => {
      const sigma = Math.max((options.sigmaScale ?? 0.125) * n, 1e-6);
      return Float64Array.from({ length: n }, (_, i) => Math.exp(-((i - (n - 1) / 2) ** 2) / (2 * sigma * sigma)));
    };
    const g = [axis(O[0]!), axis(O[1]!), rank === 3 ? axis(O[2]!) : Float64Array.of(1)];
    let max = 0;
    for (const a of g[0]!) for (const b of g[1]!) for (const c of g[2]!) max = Math.max(max, a * b * c);
    let idx = 0;
    for (const a of g[0]!) for (const b of g[1]!) for (const c of g[2]!) weights[idx++] = Math.max((a * b * c) / max, 1e-6);
  }
  const padValue = options.padValue ?? 0;
  const winVoxels = W[0]! * W[1]! * W[2]!;
  const batchSize = options.batchSize ?? Math.max(1, Math.min(4, Math.floor(2 ** 22 / winVoxels)));
  let K = 0;
  let acc = new Float64Array(0);
  const wsum = new Float64Array(E[0]! * E[1]! * E[2]!);
  for (let first = 0; first < positions.length; first += batchSize) {
    const group = positions.slice(first, first + batchSize);
    const input = new Float32Array(group.length * winVoxels * C);
    let dst = 0;
    for (const [sx, sy, sz] of group)
      for (let i = 0; i < W[0]!; i++)
        for (let j = 0; j < W[1]!; j++)
          for (let k = 0; k < W[2]!; k++, dst += C) {
            const [x, y, z] = [sx! - L[0]! + i, sy! - L[1]! + j, sz! - L[2]! + k];
            const inside = x >= 0 && y >= 0 && z >= 0 && x < D[0]! && y < D[1]! && z < D[2]!;
            for (let c = 0; c < C; c++) input[dst + c] = inside ? image[((x * D[1]! + y) * D[2]! + z) * C + c]! : padValue;
          }
    const y = tf.tidy(() => {
      const x = tf.tensor(input, [group.length, ...win, C]);
      const logits = predictor instanceof tf.LayersModel ? (predictor.predict(x) as tf.Tensor) : predictor(x);
      const activation = options.activation ?? (logits.shape[logits.rank - 1]! > 1 ? 'softmax' : 'sigmoid');
      return activation === 'softmax' ? tf.softmax(logits) : activation === 'sigmoid' ? tf.sigmoid(logits) : logits.clone();
    });
    const values = y.dataSync() as Float32Array;
    if (K === 0) {
      K = y.shape[y.rank - 1]!;
      acc = new Float64Array(wsum.length * K);
    }
    y.dispose();
    let src = 0;
    for (const [sx, sy, sz] of group)
      for (let i = 0, w = 0; i < O[0]!; i++)
        for (let j = 0; j < O[1]!; j++)
          for (let k = 0; k < O[2]!; k++, w++) {
            const cell = ((sx! + i) * E[1]! + (sy! + j)) * E[2]! + (sz! + k);
            wsum[cell] = wsum[cell]! + weights[w]!;
            for (let c = 0; c < K; c++, src++) acc[cell * K + c] = acc[cell * K + c]! + weights[w]! * values[src]!;
          }
  }
  const output = new Float32Array(D[0]! * D[1]! * D[2]! * K);
  let dst = 0;
  for (let x = 0; x < D[0]!; x++)
    for (let y = 0; y < D[1]!; y++)
      for (let z = 0; z < D[2]!; z++) {
        const cell = (x * E[1]! + y) * E[2]! + z;
        for (let c = 0; c < K; c++) output[dst++] = acc[cell * K + c]! / wsum[cell]!;
      }
  return { output, channels: K, windows: positions.length };
}
