import * as tf from '@tensorflow/tfjs';
import type { NativeAddon } from './nativeAddon.js';

/**
 * Input checks at memory speed: the flat index of the first value that breaks a rule, from the addon's
 * `scanValues` on the native engine (the losses check every voxel of their inputs; JS loops over a
 * [4, 96³, 2] pair took 150–200 ms under load, more than the loss itself). Where no scan is installed
 * (other engines, an older addon, an array type the addon does not take) `firstBreak` returns undefined
 * and the caller runs its own loop; the caller builds its error message from the index either way.
 */
export type ValueRule = 'finite' | 'unitInterval' | 'binary' | 'label';

const RULE_CODES: Record<ValueRule, number> = { finite: 0, unitInterval: 1, binary: 2, label: 3 };

type Scan = NonNullable<NativeAddon['scanValues']>;

let native: Scan | undefined;

/** Installs (or with undefined removes) the addon's scan; the native engine sets it, resetEngine() clears it. */
export function setNativeValueScan(scan: Scan | undefined): void {
  native = scan;
}

/**
 * The index of the first value breaking `rule` ('finite'; 'unitInterval': in [0, 1]; 'binary': 0 or 1;
 * 'label': an integer in [0, limit)), −1 when none does, or undefined when no native scan applies.
 */
export function firstBreak(values: ArrayLike<number>, rule: ValueRule, limit = 0): number | undefined {
  if (native === undefined || !(values instanceof Float32Array || values instanceof Int32Array)) return undefined;
  return native(RULE_CODES[rule], values, limit);
}

/**
 * Whether every value of `t` as `t.dataSync()` would give it passes `rule` (see `firstBreak`), scanned in the
 * cpu backend's own array without reading the tensor back: `dataSync()` copies whenever the array the backend
 * holds is not its dtype's (TF.js's int32→float32 Cast and oneHot share a Float32Array or Int32Array under
 * another dtype; a 28 MB conversion took 35–55 ms per loss call). true: nothing breaks the rule; false: a value
 * may (the caller runs its own loop on `dataSync()` for the index and the message); undefined: no native scan
 * here (another backend or engine). Where reading converts (int32 truncation of a Float32Array), stored
 * values that pass every rule here still pass once converted, so true stays exact.
 */
export function tensorPasses(t: tf.Tensor, rule: ValueRule, limit = 0): boolean | undefined {
  if (native === undefined || tf.getBackend() !== 'cpu') return undefined;
  const data = (tf.backend() as unknown as { data: { get(id: tf.DataId): { values?: unknown } | undefined; has(id: tf.DataId): boolean } }).data;
  if (!data.has(t.dataId)) return undefined;
  const values = data.get(t.dataId)?.values;
  if (!(values instanceof Float32Array || values instanceof Int32Array)) return undefined;
  return native(RULE_CODES[rule], values, limit) === -1;
}
