import { zScore } from './normalization.js';
import { createVolume, voxelsPerChannel, type Volume } from './volume.js';

/**
 * Intensity normalisation schemes per modality (nnU-Net's): per-case z-score, z-score within the
 * non-zero mask (outside it: 0), CT (clip to dataset foreground percentiles, z-score with dataset
 * statistics), or none.
 */
export const INTENSITY_SCHEMES = ['zscore', 'zscore-nonzero', 'ct', 'none'] as const;
export type IntensityScheme = (typeof INTENSITY_SCHEMES)[number];

/** Dataset statistics of a CT modality: foreground intensities over the training set. */
export interface CtStatistics {
  mean: number;
  sd: number;
  /** 0.5th percentile (the lower clip). */
  lower: number;
  /** 99.5th percentile (the upper clip). */
  upper: number;
}

export type ChannelNormalization =
  | { scheme: 'zscore' }
  | { scheme: 'zscore-nonzero' }
  | { scheme: 'none' }
  | { scheme: 'ct'; statistics: CtStatistics };

/** nnU-Net's floor on the standard deviation. */
const MIN_SD = 1e-8;

/**
 * The scheme nnU-Net picks for a `dataset.json` modality name: 'CT' (any case) → 'ct'; 'noNorm' or
 * 'none' → 'none'; anything else (MRI sequences, 'T2', 'FLAIR', ...) → 'zscore', or 'zscore-nonzero'
 * when `useNonzeroMask` (nnU-Net: when cropping to the non-zero region shrinks cases to < ¾).
 */
export function schemeForModality(name: string, useNonzeroMask = false): IntensityScheme {
  const key = name.trim().toLowerCase();
  if (key === 'ct') return 'ct';
  if (key === 'nonorm' || key === 'none') return 'none';
  return useNonzeroMask ? 'zscore-nonzero' : 'zscore';
}

/** 1 where any channel is non-zero (nnU-Net's non-zero mask, without its hole filling). */
export function nonzeroMask(volume: Volume): Uint8Array {
  const n = voxelsPerChannel(volume.shape);
  const mask = new Uint8Array(n);
  for (let c = 0; c < volume.channels; c++) {
    const off = c * n;
    for (let i = 0; i < n; i++) if (volume.data[off + i] !== 0) mask[i] = 1;
  }
  return mask;
}

function checkStatistics(op: string, channel: number, s: CtStatistics | undefined): CtStatistics {
  const ok = s !== undefined && [s.mean, s.sd, s.lower, s.upper].every(Number.isFinite) && s.sd >= 0 && s.lower <= s.upper;
  if (!ok) {
    const shown = s === undefined ? 'undefined' : `mean ${s.mean}, sd ${s.sd}, lower ${s.lower}, upper ${s.upper}`;
    throw new Error(`${op}: channel ${channel}: CT statistics need finite mean, sd ≥ 0 and lower ≤ upper; got ${shown}`);
  }
  return s;
}

/**
 * Normalises each channel with its scheme and returns a float32 volume of the same geometry.
 * 'zscore': (x − μ)/σ over the case; 'zscore-nonzero': μ, σ over the non-zero mask of all channels
 * and 0 outside it; 'ct': clip to [lower, upper] then (x − mean)/max(sd, 1e-8) with dataset
 * statistics; 'none': a float copy. A constant channel z-scores to zeros.
 */
export function normalizeIntensities(volume: Volume, channels: readonly ChannelNormalization[]): Volume {
  const op = 'normalizeIntensities';
  if (channels.length !== volume.channels) {
    throw new Error(`${op}: ${channels.length} channel scheme(s) for a volume of ${volume.channels} channel(s)`);
  }
  const n = voxelsPerChannel(volume.shape);
  const out = new Float32Array(n * volume.channels);
  let mask: Uint8Array | undefined;
  channels.forEach((c, channel) => {
    const scheme = (c as { scheme: unknown }).scheme;
    if (!(INTENSITY_SCHEMES as readonly unknown[]).includes(scheme)) {
      throw new Error(`${op}: channel ${channel}: scheme must be one of ${INTENSITY_SCHEMES.map((s) => `'${s}'`).join(', ')}; got '${String(scheme)}'`);
    }
    const src = volume.data.subarray(channel * n, (channel + 1) * n);
    const dst = out.subarray(channel * n, (channel + 1) * n);
    if (c.scheme === 'none') {
      dst.set(src);
    } else if (c.scheme === 'ct') {
      const s = checkStatistics(op, channel, c.statistics);
      const sd = Math.max(s.sd, MIN_SD);
      for (let i = 0; i < n; i++) dst[i] = (Math.min(s.upper, Math.max(s.lower, src[i]!)) - s.mean) / sd;
    } else {
      const single = createVolume(src, volume.shape);
      if (c.scheme === 'zscore') {
        dst.set(zScore(single).data);
      } else {
        mask ??= nonzeroMask(volume);
        const z = zScore(single, { mask }).data;
        for (let i = 0; i < n; i++) dst[i] = mask[i] !== 0 ? z[i]! : 0;
      }
    }
  });
  return createVolume(out, volume.shape, { channels: volume.channels, spacing: volume.spacing, affine: volume.affine });
}
