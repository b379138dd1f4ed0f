import type { NativeAddon } from './nativeAddon.js';

/**
 * Sliding-window blending at memory speed: the addon's `blendWindow` (weighted accumulation of one
 * window's outputs into a grid of float64 sums) and `normaliseBlend` (the division by the accumulated
 * weights; nativeAddon.ts has both signatures), installed by the native engine. Both compute exactly what
 * the JS loops of src/inference/windowBlending.ts compute (each cell `acc + weight · value` in double, in
 * window order; the quotient rounded once to float32), so results do not depend on the engine. Where the
 * addon lacks them (other engines, an older addon) `nativeWindowBlend()` is undefined and the caller runs
 * its loops.
 */
export type NativeWindowBlend = Required<Pick<NativeAddon, 'blendWindow' | 'normaliseBlend'>>;

let native: NativeWindowBlend | undefined;

/** The addon's blending pair when it has both functions, else undefined. */
export function windowBlendKernels(addon: NativeAddon | undefined): NativeWindowBlend | undefined {
  const blendWindow = addon?.blendWindow;
  const normaliseBlend = addon?.normaliseBlend;
  if (typeof blendWindow !== 'function' || typeof normaliseBlend !== 'function') return undefined;
  return { blendWindow: blendWindow.bind(addon), normaliseBlend: normaliseBlend.bind(addon) };
}

/** Installs (or with undefined removes) the native blending; the native engine sets it, resetEngine() clears it. */
export function setNativeWindowBlend(kernels: NativeWindowBlend | undefined): void {
  native = kernels;
}

/** The installed native blending, or undefined (the caller's JS loops then). */
export function nativeWindowBlend(): NativeWindowBlend | undefined {
  return native;
}
