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
