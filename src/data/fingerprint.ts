import { Random } from '../common/random.js';
import { percentile } from '../common/stats.js';
import { orientationCodes, reorient } from './orientation.js';
import { voxelsPerChannel, type Volume } from './volume.js';

/** What one case contributes to the dataset fingerprint. Shapes and spacings are in RAS axis order. */
export interface CaseFingerprint {
  id: string;
  /** Orientation of the file ('LPS', 'RAS', ...). */
  orientation: string;
  shape: number[];
  spacing: number[];
  channels: number;
  /** Voxels of the bounding box of the non-zero region (any channel) over all voxels, in (0, 1]. */
  relativeSizeAfterCrop: number;
  /** Voxel count of each label value present. */
  labelVoxels: Map<number, number>;
  /** Intensities sampled (seeded, with replacement) among the foreground (label > 0) voxels, per channel. */
  foregroundSamples: Float32Array[];
}

export interface CaseFingerprintOptions {
  /** Foreground voxels sampled per case and channel; all of them when there are fewer. Default 100,000. */
  samples?: number;
  /** Default 1234. */
  seed?: number;
}

/** Intensity statistics of one modality over the foreground voxels of the training set. */
export interface ModalityStatistics {
  name: string;
  samples: number;
  mean: number;
  sd: number;
  median: number;
  min: number;
  max: number;
  percentile00_5: number;
  percentile99_5: number;
}

export interface LabelShare {
  value: number;
  name: string;
  voxels: number;
  /** voxels / all labelled voxels of the dataset. */
  share: number;
  /** Number of cases in which the label appears. */
  cases: number;
}

/** nnU-Net's dataset fingerprint, as gendice records it (`fingerprint.json`). */
export interface DatasetFingerprint {
  version: 1;
  name: string;
  dims: number;
  modalities: string[];
  cases: Array<{ id: string; orientation: string; shape: number[]; spacing: number[]; relativeSizeAfterCrop: number }>;
  medianShape: number[];
  medianSpacing: number[];
  minSpacing: number[];
  maxSpacing: number[];
  medianRelativeSizeAfterCrop: number;
  intensities: ModalityStatistics[];
  labels: LabelShare[];
}

function nonzeroBoundingBoxShare(volume: Volume): number {
  const shape3 = [volume.shape[0]!, volume.shape[1]!, volume.shape[2] ?? 1];
  const n = voxelsPerChannel(volume.shape);
  const lo = [Infinity, Infinity, Infinity];
  const hi = [-1, -1, -1];
  for (let c = 0; c < volume.channels; c++) {
    const off = c * n;
    for (let at = 0; at < n; at++) {
      if (volume.data[off + at] === 0) continue;
      const p = [at % shape3[0]!, Math.floor(at / shape3[0]!) % shape3[1]!, Math.floor(at / (shape3[0]! * shape3[1]!))];
      for (let a = 0; a < 3; a++) {
        if (p[a]! < lo[a]!) lo[a] = p[a]!;
        if (p[a]! > hi[a]!) hi[a] = p[a]!;
      }
    }
  }
  if (hi[0]! < 0) return 1;
  return ((hi[0]! - lo[0]! + 1) * (hi[1]! - lo[1]! + 1) * (hi[2]! - lo[2]! + 1)) / n;
}

/**
 * The fingerprint of one case (image and label map of the same grid): RAS shape and spacing, the size
 * after cropping to the non-zero region, label voxel counts and a seeded sample of foreground
 * intensities per channel (nnU-Net samples 10⁷/cases per case; gendice 100,000 by default).
 */
export function caseFingerprint(id: string, image: Volume, label: Volume, options: CaseFingerprintOptions = {}): CaseFingerprint {
  const op = 'caseFingerprint';
  if (label.shape.join(',') !== image.shape.join(',') || label.channels !== 1) {
    throw new Error(`${op}: ${id}: label [${label.shape.join(', ')}] × ${label.channels} must have the image's shape [${image.shape.join(', ')}] and one channel`);
  }
  const samples = options.samples ?? 100_000;
  if (!Number.isInteger(samples) || samples < 1) throw new Error(`${op}: samples must be a positive integer, got ${samples}`);
  const ras = reorient({ ...image, data: new Uint8Array(image.data.length), datatype: 'uint8' }, 'RAS').volume;
  const n = voxelsPerChannel(image.shape);
  const labelVoxels = new Map<number, number>();
  const foreground: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = label.data[i]!;
    labelVoxels.set(v, (labelVoxels.get(v) ?? 0) + 1);
    if (v > 0) foreground.push(i);
  }
  const rng = new Random(options.seed ?? 1234);
  const picked = foreground.length <= samples ? foreground : Array.from({ length: samples }, () => foreground[rng.int(0, foreground.length - 1)]!);
  const foregroundSamples = Array.from({ length: image.channels }, (_, c) => Float32Array.from(picked, (i) => image.data[c * n + i]!));
  return {
    id,
    orientation: orientationCodes(image.affine),
    shape: ras.shape,
    spacing: ras.spacing,
    channels: image.channels,
    relativeSizeAfterCrop: nonzeroBoundingBoxShare(image),
    labelVoxels,
    foregroundSamples,
  };
}

function median(values: number[]): number {
  return percentile(values, 50);
}

function statistics(name: string, values: Float32Array): ModalityStatistics {
  if (values.length === 0) {
    return { name, samples: 0, mean: Number.NaN, sd: Number.NaN, median: Number.NaN, min: Number.NaN, max: Number.NaN, percentile00_5: Number.NaN, percentile99_5: Number.NaN };
  }
  let mean = 0;
  let m2 = 0;
  let min = Infinity;
  let max = -Infinity;
  values.forEach((x, i) => {
    const d = x - mean;
    mean += d / (i + 1);
    m2 += d * (x - mean);
    if (x < min) min = x;
    if (x > max) max = x;
  });
  return {
    name,
    samples: values.length,
    mean,
    sd: Math.sqrt(m2 / values.length),
    median: percentile(values, 50),
    min,
    max,
    percentile00_5: percentile(values, 0.5),
    percentile99_5: percentile(values, 99.5),
  };
}

export interface DatasetFingerprintOptions {
  name?: string;
  /** Channel index → modality name (dataset.json `modality`); default 'channel0', ... */
  modalities?: readonly string[];
  /** Label value → name (dataset.json `labels`); default 'label<value>' (0: 'background'). */
  labels?: ReadonlyMap<number, string>;
}

/**
 * The dataset fingerprint from the cases' fingerprints: per-case and median shapes and spacings, the
 * median size after cropping to the non-zero region, intensity statistics per modality over the
 * pooled foreground samples, and each label's voxel share. Pure; `fingerprint.json` is its JSON.
 */
export function datasetFingerprint(cases: readonly CaseFingerprint[], options: DatasetFingerprintOptions = {}): DatasetFingerprint {
  const op = 'datasetFingerprint';
  if (cases.length === 0) throw new Error(`${op}: no cases`);
  const dims = cases[0]!.shape.length;
  const channels = cases[0]!.channels;
  for (const c of cases) {
    if (c.shape.length !== dims || c.channels !== channels) {
      throw new Error(`${op}: case ${c.id} has ${c.shape.length} dimensions and ${c.channels} channel(s), case ${cases[0]!.id} ${dims} and ${channels}`);
    }
  }
  const modalities = Array.from({ length: channels }, (_, c) => options.modalities?.[c] ?? `channel${c}`);
  const axis = (get: (c: CaseFingerprint) => number[], a: number): number[] => cases.map((c) => get(c)[a]!);
  const perAxis = (get: (c: CaseFingerprint) => number[], f: (v: number[]) => number): number[] =>
    Array.from({ length: dims }, (_, a) => f(axis(get, a)));
  const intensities = modalities.map((name, ch) => {
    const total = cases.reduce((s, c) => s + c.foregroundSamples[ch]!.length, 0);
    const pooled = new Float32Array(total);
    let at = 0;
    for (const c of cases) {
      pooled.set(c.foregroundSamples[ch]!, at);
      at += c.foregroundSamples[ch]!.length;
    }
    return statistics(name, pooled);
  });
  const values = new Set<number>([...(options.labels?.keys() ?? []), ...cases.flatMap((c) => [...c.labelVoxels.keys()])]);
  const totalVoxels = cases.reduce((s, c) => s + [...c.labelVoxels.values()].reduce((a, b) => a + b, 0), 0);
  const labels = [...values]
    .sort((a, b) => a - b)
    .map((value) => {
      const voxels = cases.reduce((s, c) => s + (c.labelVoxels.get(value) ?? 0), 0);
      return {
        value,
        name: options.labels?.get(value) ?? (value === 0 ? 'background' : `label${value}`),
        voxels,
        share: voxels / totalVoxels,
        cases: cases.filter((c) => (c.labelVoxels.get(value) ?? 0) > 0).length,
      };
    });
  return {
    version: 1,
    name: options.name ?? 'dataset',
    dims,
    modalities,
    cases: cases.map((c) => ({ id: c.id, orientation: c.orientation, shape: c.shape, spacing: c.spacing, relativeSizeAfterCrop: c.relativeSizeAfterCrop })),
    medianShape: perAxis((c) => c.shape, median),
    medianSpacing: perAxis((c) => c.spacing, median),
    minSpacing: perAxis((c) => c.spacing, (v) => Math.min(...v)),
    maxSpacing: perAxis((c) => c.spacing, (v) => Math.max(...v)),
    medianRelativeSizeAfterCrop: median(cases.map((c) => c.relativeSizeAfterCrop)),
    intensities,
    labels,
  };
}
