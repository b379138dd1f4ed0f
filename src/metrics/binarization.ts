import { isIntegerTyped } from './maskInput.js';

/** Index of the first value that is not 0 or 1, or -1. */
export function firstNonBinary(data: ArrayLike<number>): number {
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v !== 0 && v !== 1) return i;
  }
  return -1;
}

/** Index of the first value below 0 or above 1 (NaN is neither), or -1. */
export function firstOutsideUnitInterval(data: ArrayLike<number>): number {
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < 0 || v > 1) return i;
  }
  return -1;
}

/** Index of the first value that is not an integer, or -1. */
export function firstNonInteger(data: ArrayLike<number>): number {
  if (isIntegerTyped(data)) return -1;
  for (let i = 0; i < data.length; i++) if (!Number.isInteger(data[i]!)) return i;
  return -1;
}

/** The channel of the largest value of each voxel (the label map of a one-hot or probability input). */
export function argmaxChannels(metric: string, data: ArrayLike<number>, channels: number): Uint8Array | Uint16Array {
  const n = data.length / channels;
  const out = channels <= 256 ? new Uint8Array(n) : new Uint16Array(n);
  for (let i = 0, o = 0; i < n; i++, o += channels) {
    let best = 0;
    let bestValue = data[o]!;
    if (Number.isNaN(bestValue)) throw new Error(`${metric}: prediction holds NaN at index ${o}`);
    for (let c = 1; c < channels; c++) {
      const v = data[o + c]!;
      if (v > bestValue) {
        bestValue = v;
        best = c;
      } else if (Number.isNaN(v)) throw new Error(`${metric}: prediction holds NaN at index ${o + c}`);
    }
    out[i] = best;
  }
  return out;
}

/** 1 where a value is >= threshold, else 0. */
export function thresholdValues(metric: string, data: ArrayLike<number>, threshold: number): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (Number.isNaN(v)) throw new Error(`${metric}: prediction holds NaN at index ${i}`);
    out[i] = v >= threshold ? 1 : 0;
  }
  return out;
}

