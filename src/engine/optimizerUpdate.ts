import * as tf from '@tensorflow/tfjs';
import type { NativeAddon } from './nativeAddon.js';
import type { CpuBackend } from './cpuBackend.js';

/**
 * Fused optimizer updates on the native engine: one pass of the addon's `optimizerUpdate` per weight
 * (Adam, or SGD with momentum), instead of the 10 (Adam) or 4 (SGD) composed kernels, each with a fresh
 * array. The C++ loop computes the composed update's float32 operations in the same order, each rounded
 * to float32, so the weights and slots are bit-identical to the composed path's (src/training/optimizer.ts
 * keeps the composed path for every other engine; test/engine/optimizerUpdate.test.ts compares them).
 *
 * In place where that is safe: a weight's or slot's values are overwritten only when no other tensor
 * shares them (the cpu backend's reference count of its data is 1; `clone()`, `reshape()` and a
 * variable's initial value share data). Otherwise the new values go to a fresh array, assigned to the
 * variable, and the other tensors keep the old values.
 */

/** The float32 scalars of one Adam update (as the composed path's scalar tensors hold them). */
export interface AdamScalars {
  beta1: number;
  beta2: number;
  /** 1 − β1ᵗ and 1 − β2ᵗ of this update, from the running float32 products. */
  oneMinusBeta1Power: number;
  oneMinusBeta2Power: number;
  epsilon: number;
  learningRate: number;
}

type Update = NonNullable<NativeAddon['optimizerUpdate']>;

let native: Update | undefined;

/** Installs (or with undefined removes) the addon's update; the native engine calls it on activation, resetEngine() clears it. */
export function setNativeOptimizerUpdate(update: Update | undefined): void {
  native = update;
}

/** Whether weights on the active backend are updated by the fused native pass (native engine, addon with `optimizerUpdate`). */
export function fusedOptimizerAvailable(): boolean {
  return native !== undefined && tf.getBackend() === 'cpu';
}

interface CpuData {
  values?: tf.BackendValues;
  refCount?: number;
}

/** The tensor's Float32Array and whether it may be overwritten, or undefined when it is not a plain float32 cpu tensor. */
function access(backend: CpuBackend, t: tf.Tensor): { values: Float32Array; exclusive: boolean } | undefined {
  if (t.dtype !== 'float32' || t.isDisposed) return undefined;
  const data = backend.data.get(t.dataId) as CpuData | undefined;
  const values = data?.values;
  if (!(values instanceof Float32Array) || values.length !== t.size) return undefined;
  return { values, exclusive: data?.refCount === 1 };
}

/** The array the new values of `variable` go to: its own when exclusive, else a fresh one assigned after the update. */
function target(a: { values: Float32Array; exclusive: boolean }): Float32Array {
  return a.exclusive ? a.values : new Float32Array(a.values.length);
}

function commit(variable: tf.Variable, out: Float32Array, original: Float32Array): void {
  if (out === original) return;
  const t = tf.tensor(out, variable.shape, 'float32');
  variable.assign(t);
  t.dispose();
}

/**
 * One Adam update of `weight` and its moments `m`, `v` from `gradient`, fused; false (nothing changed)
 * when the fused pass is not available for these tensors: the caller composes the update then.
 */
export function fusedAdamUpdate(weight: tf.Variable, gradient: tf.Tensor, m: tf.Variable, v: tf.Variable, s: AdamScalars): boolean {
  if (!fusedOptimizerAvailable()) return false;
  const backend = tf.backend() as unknown as CpuBackend;
  const [w, g, mm, vv] = [weight, gradient, m, v].map((t) => access(backend, t));
  if (w === undefined || g === undefined || mm === undefined || vv === undefined) return false;
  if (g.values.length !== w.values.length || mm.values.length !== w.values.length || vv.values.length !== w.values.length) return false;
  const [wOut, mOut, vOut] = [target(w), target(mm), target(vv)];
  const f = Math.fround;
  native!(0, w.values, g.values, mm.values, vv.values, wOut, mOut, vOut, f(s.beta1), f(1 - s.beta1), f(s.beta2), f(1 - s.beta2),
    f(s.oneMinusBeta1Power), f(s.oneMinusBeta2Power), f(s.epsilon), f(-s.learningRate));
  commit(m, mOut, mm.values);
  commit(v, vOut, vv.values);
  commit(weight, wOut, w.values);
  return true;
}

/** One SGD-with-momentum update of `weight` and its accumulation `a`, fused; false when not available (as above). */
export function fusedMomentumUpdate(weight: tf.Variable, gradient: tf.Tensor, a: tf.Variable, momentum: number, learningRate: number): boolean {
  if (!fusedOptimizerAvailable()) return false;
  const backend = tf.backend() as unknown as CpuBackend;
  const [w, g, aa] = [weight, gradient, a].map((t) => access(backend, t));
  if (w === undefined || g === undefined || aa === undefined) return false;
  if (g.values.length !== w.values.length || aa.values.length !== w.values.length) return false;
  const [wOut, aOut] = [target(w), target(aa)];
  native!(1, w.values, g.values, aa.values, wOut, aOut, Math.fround(momentum), Math.fround(-learningRate));
  commit(a, aOut, aa.values);
  commit(weight, wOut, w.values);
  return true;
}
