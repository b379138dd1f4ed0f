import * as tf from '@tensorflow/tfjs';
import { loadAddon } from '../../src/engine/node/addon.js';
import { selectEngine, type EngineName } from '../../src/engine/node/index.js';
import { Random } from '../../src/common/index.js';

export const addonLoads = loadAddon().ok;
export const NO_ADDON = 'native addon not built (run npm run build:native): native-only case skipped';

/** Deterministic normal values for a shape. */
export function randn(shape: number[], seed: number): { shape: number[]; values: Float32Array } {
  const r = new Random(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = r.normal();
  return { shape, values };
}

export const tensor = (d: { shape: number[]; values: Float32Array }): tf.Tensor => tf.tensor(d.values, d.shape);

/** Runs `f` on `engine` and returns its outputs' values. */
export async function onEngine(engine: EngineName, f: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  await selectEngine({ engine, quiet: true });
  return tf.tidy(() => {
    const out = f();
    return (Array.isArray(out) ? out : [out]).map((t) => t.dataSync() as Float32Array).map((v) => Float32Array.from(v));
  });
}

/** max |a - b| / max |b| over finite b (absolute when b is all zeros); NaN must meet NaN, ±∞ the same ∞. */
export function relError(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    const [x, y] = [a[i]!, b[i]!];
    if (Number.isNaN(x) || Number.isNaN(y)) {
      if (Number.isNaN(x) && Number.isNaN(y)) continue; // NaN where the reference has NaN matches
      return Infinity;
    }
    // Equal values (infinities included) match; otherwise the difference counts.
    const d = x === y ? 0 : Math.abs(x - y);
    if (d > num) num = d;
    if (Number.isFinite(y)) den = Math.max(den, Math.abs(y));
  }
  return den > 0 ? num / den : num;
}

export function maxRelError(a: Float32Array[], b: Float32Array[]): number {
  if (a.length !== b.length) return Infinity;
  return Math.max(...a.map((x, i) => relError(x, b[i]!)));
}

/** A small U-Net built with tf.layers: 2×(3×3 conv + ReLU) per level, max-pool 2, transposed conv up, skips, sigmoid head. */
export function smallUNet(inputShape: number[], filters: number[], seed: number): tf.LayersModel {
  const is3d = inputShape.length === 4;
  let s = seed;
  const init = () => tf.initializers.glorotUniform({ seed: s++ });
  const conv = (f: number, k: number, activation: 'relu' | 'sigmoid') =>
    is3d
      ? tf.layers.conv3d({ filters: f, kernelSize: k, padding: 'same', activation, kernelInitializer: init() })
      : tf.layers.conv2d({ filters: f, kernelSize: k, padding: 'same', activation, kernelInitializer: init() });
  const input = tf.input({ shape: inputShape });
  let x: tf.SymbolicTensor = input;
  const skips: tf.SymbolicTensor[] = [];
  filters.forEach((f, level) => {
    x = conv(f, 3, 'relu').apply(conv(f, 3, 'relu').apply(x)) as tf.SymbolicTensor;
    if (level < filters.length - 1) {
      skips.push(x);
      x = (is3d ? tf.layers.maxPooling3d({ poolSize: 2 }) : tf.layers.maxPooling2d({ poolSize: 2 })).apply(x) as tf.SymbolicTensor;
    }
  });
  for (let level = filters.length - 2; level >= 0; level--) {
    const f = filters[level]!;
    const up = is3d
      ? tf.layers.conv3dTranspose({ filters: f, kernelSize: 2, strides: 2, padding: 'same', kernelInitializer: init() })
      : tf.layers.conv2dTranspose({ filters: f, kernelSize: 2, strides: 2, padding: 'same', kernelInitializer: init() });
    x = tf.layers.concatenate().apply([skips[level]!, up.apply(x) as tf.SymbolicTensor]) as tf.SymbolicTensor;
    x = conv(f, 3, 'relu').apply(conv(f, 3, 'relu').apply(x)) as tf.SymbolicTensor;
  }
  return tf.model({ inputs: input, outputs: conv(1, 1, 'sigmoid').apply(x) as tf.SymbolicTensor });
}
