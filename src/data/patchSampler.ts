import { knownKeys, oneOf } from '../common/options.js';
import { Random } from '../common/random.js';
import { percentileOfSorted } from '../common/stats.js';
import { volumeToChannelsLast, type Volume } from './volume.js';

/** How patch centres are drawn: anywhere, only patches holding foreground (the paper's rule), or per class ratio. */
export const SAMPLING_MODES = ['uniform', 'foreground', 'balanced'] as const;
export type SamplingMode = (typeof SAMPLING_MODES)[number];

const PATCH_SAMPLER_OPTION_NAMES = ['patchSize', 'batchSize', 'mode', 'classRatios', 'seed', 'padValue', 'labelRegion'] as const;

export interface PatchSamplerOptions {
  /** Patch extents in volume axis order, [px, py] or [px, py, pz] (the volume's rank). */
  patchSize: number[];
  /** Patches per batch (≥ 1). */
  batchSize: number;
  /** Default 'foreground' (the paper's rule: only patches holding foreground). */
  mode?: SamplingMode;
  /** 'balanced' only: probability of centring a patch on each class, index = label value (incl. background). */
  classRatios?: number[];
  /** Default 0. */
  seed?: number;
  /** Image value outside the volume (default 0); labels outside are background. */
  padValue?: number;
  /**
   * Spatial size of the region the loss sees, centred in the patch (offset ⌊(patch − region)/2⌋ per
   * axis): the network's output for networks whose output is smaller than their input (DeepMedic,
   * TwoPathCNN). Default: the patch. The region, not the patch, is placed in the volume (the patch may
   * reach past the volume by the margin, padded), holds the chosen foreground voxel ('foreground') or is
   * centred on the chosen voxel ('balanced'), and is where foreground fractions are measured.
   * (Named a region, not a shape: `PatchBatch.labelShape` is the labels' tensor shape.)
   */
  labelRegion?: number[];
}

/** An image and its label map on the same grid. */
export interface SamplerCase {
  image: Volume;
  label: Volume;
}

/**
 * A batch in tensor layout: `images` row-major [B, ...patchSize, C], `labels` [B, ...patchSize, 1],
 * ready for `tf.tensor(images, imageShape)` and `tf.tensor(labels, labelShape, 'int32')`.
 */
export interface PatchBatch {
  images: Float32Array;
  labels: Int32Array;
  imageShape: number[];
  labelShape: number[];
  /** Case index of each patch. */
  cases: number[];
  /** Patch origin (first voxel, may be negative when padding) of each patch. */
  origins: number[][];
  /** Class of the voxel the patch was drawn around ('foreground', 'balanced'), -1 for 'uniform'. */
  centreClasses: number[];
  /** Share of non-background voxels in each patch. */
  foregroundFractions: number[];
}

export interface ForegroundFractionStatistics {
  patches: number;
  mean: number;
  median: number;
  q05: number;
  q25: number;
  q75: number;
  q95: number;
  min: number;
  max: number;
  /** Share of patches without any foreground voxel. */
  emptyShare: number;
  /** Share of patches drawn around each class (index = class), empty for 'uniform'. */
  centreClassShares: number[];
}

/** The sampler's state, for checkpoints. */
export interface PatchSamplerState {
  random: number;
  batches: number;
  /**
   * What `statistics()` summarises, so that a resumed run reports the statistics of all its patches.
   * Absent (older checkpoints): the statistics start over.
   */
  statistics?: { drawn: number; fractionSum: number; emptyCount: number; fractions: number[]; centreCounts: number[] };
}

interface PreparedCase {
  dims: [number, number, number];
  channels: number;
  image: Float32Array;
  label: Uint8Array | Int32Array;
  /** Voxel indices (in the channels-last order) of each class, or undefined when drawn by rejection. */
  classVoxels: Array<Int32Array | undefined>;
  classCounts: number[];
  foreground: Int32Array;
}

function prepare(c: SamplerCase, index: number, numClasses: number | undefined): PreparedCase {
  const { image, label } = c;
  const where = `PatchSampler: case ${index}`;
  if (image.shape.join(',') !== label.shape.join(',')) {
    throw new Error(`${where}: image shape [${image.shape.join(', ')}] and label shape [${label.shape.join(', ')}] differ`);
  }
  if (label.channels !== 1) throw new Error(`${where}: label must have one channel, got ${label.channels}`);
  const X = image.shape[0]!;
  const Y = image.shape[1]!;
  const Z = image.shape[2] ?? 1;
  const n = X * Y * Z;
  let maxLabel = 0;
  for (let i = 0; i < n; i++) {
    const v = label.data[i]!;
    if (!Number.isInteger(v) || v < 0) throw new Error(`${where}: label voxel ${i} is ${v}; labels must be non-negative integers`);
    if (v > maxLabel) maxLabel = v;
  }
  if (numClasses !== undefined && maxLabel >= numClasses) {
    throw new Error(`${where}: label value ${maxLabel} but classRatios names only ${numClasses} classes`);
  }
  const K = Math.max(maxLabel + 1, numClasses ?? 0);
  const lab = maxLabel <= 255 ? new Uint8Array(n) : new Int32Array(n);
  const counts = new Array<number>(K).fill(0);
  // Reorder labels to the channels-last order (x slowest, z fastest) shared with the image.
  for (let k = 0; k < Z; k++) {
    for (let j = 0; j < Y; j++) {
      let src = X * (j + Y * k);
      let dst = j * Z + k;
      for (let i = 0; i < X; i++, src++, dst += Y * Z) {
        const v = label.data[src]!;
        lab[dst] = v;
        counts[v]!++;
      }
    }
  }
  const classVoxels: Array<Int32Array | undefined> = [];
  const cursors = new Array<number>(K).fill(0);
  for (let k = 0; k < K; k++) classVoxels.push(counts[k]! > n / 2 ? undefined : new Int32Array(counts[k]!));
  const foreground = new Int32Array(n - counts[0]!);
  let f = 0;
  for (let i = 0; i < n; i++) {
    const v = lab[i]!;
    const list = classVoxels[v];
    if (list !== undefined) list[cursors[v]!++] = i;
    if (v !== 0) foreground[f++] = i;
  }
  return { dims: [X, Y, Z], channels: image.channels, image: volumeToChannelsLast(image), label: lab, classVoxels, classCounts: counts, foreground };
}

/**
 * Draws batches of patches from a set of image/label cases, uniformly, only around foreground (the
 * rule of Sudre et al. 2017), or centred on classes in given proportions, and records the foreground
 * fraction of what it draws. Deterministic from `seed`; `getState`/`setState` resume a sequence.
 */
export class PatchSampler {
  readonly mode: SamplingMode;
  readonly patchSize: number[];
  readonly batchSize: number;
  readonly channels: number;
  private readonly cases: PreparedCase[];
  private readonly patch3: [number, number, number];
  /** The label region's size and its offset in the patch (the whole patch by default). */
  private readonly region3: [number, number, number];
  private readonly offset3: [number, number, number];
  private readonly classRatios: number[] | undefined;
  private readonly padValue: number;
  private rng: Random;
  private batches = 0;
  private fractions: number[] = [];
  private centreCounts: number[] = [];
  private fractionSum = 0;
  private emptyCount = 0;
  private drawn = 0;

  constructor(cases: readonly SamplerCase[], options: PatchSamplerOptions) {
    knownKeys('PatchSampler', options, PATCH_SAMPLER_OPTION_NAMES);
    const mode = oneOf('PatchSampler', 'mode', options.mode ?? 'foreground', SAMPLING_MODES);
    if (cases.length === 0) throw new Error('PatchSampler: no cases');
    const rank = cases[0]!.image.shape.length;
    const { patchSize, batchSize } = options;
    if (!Array.isArray(patchSize) || patchSize.length !== rank || !patchSize.every((p) => Number.isInteger(p) && p >= 1)) {
      throw new Error(`PatchSampler: patchSize must be ${rank} positive integers for ${rank}D volumes, got [${String(patchSize)}]`);
    }
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`PatchSampler: batchSize must be a positive integer, got ${batchSize}`);
    if (options.classRatios !== undefined && mode !== 'balanced') {
      throw new Error(`PatchSampler: classRatios only applies to mode 'balanced', got mode '${mode}'`);
    }
    let ratios: number[] | undefined;
    if (mode === 'balanced') {
      const r = options.classRatios;
      if (r === undefined || r.length < 2 || !r.every((x) => Number.isFinite(x) && x >= 0) || !(r.reduce((a, b) => a + b, 0) > 0)) {
        throw new Error(`PatchSampler: mode 'balanced' needs classRatios, ≥ 2 non-negative numbers with a positive sum, got [${String(r)}]`);
      }
      const sum = r.reduce((a, b) => a + b, 0);
      ratios = r.map((x) => x / sum);
    }
    this.mode = mode;
    this.patchSize = [...patchSize];
    this.patch3 = [patchSize[0]!, patchSize[1]!, patchSize[2] ?? 1];
    const region = options.labelRegion ?? patchSize;
    if (!Array.isArray(region) || region.length !== rank || !region.every((r, a) => Number.isInteger(r) && r >= 1 && r <= patchSize[a]!)) {
      throw new Error(`PatchSampler: labelRegion must be ${rank} integers in 1..patchSize [${patchSize.join(', ')}], got [${String(region)}]`);
    }
    this.region3 = [region[0]!, region[1]!, region[2] ?? 1];
    this.offset3 = [0, 1, 2].map((a) => Math.floor((this.patch3[a]! - this.region3[a]!) / 2)) as [number, number, number];
    this.batchSize = batchSize;
    this.classRatios = ratios;
    this.padValue = options.padValue ?? 0;
    this.rng = new Random(options.seed ?? 0);
    this.cases = cases.map((c, i) => {
      if (c.image.shape.length !== rank) throw new Error(`PatchSampler: case ${i} is ${c.image.shape.length}D, case 0 is ${rank}D`);
      return prepare(c, i, ratios?.length);
    });
    this.channels = this.cases[0]!.channels;
    this.cases.forEach((c, i) => {
      if (c.channels !== this.channels) throw new Error(`PatchSampler: case ${i} has ${c.channels} channels, case 0 has ${this.channels}`);
    });
    if (mode === 'foreground' && this.cases.every((c) => c.foreground.length === 0)) {
      throw new Error("PatchSampler: mode 'foreground' but no case holds a foreground voxel");
    }
    ratios?.forEach((p, k) => {
      if (p > 0 && this.cases.every((c) => (c.classCounts[k] ?? 0) === 0)) {
        throw new Error(`PatchSampler: classRatios[${k}] = ${p} but no case holds class ${k}`);
      }
    });
  }

  private pickCase(accept: (c: PreparedCase) => boolean): number {
    const eligible: number[] = [];
    this.cases.forEach((c, i) => {
      if (accept(c)) eligible.push(i);
    });
    return eligible[this.rng.int(0, eligible.length - 1)]!;
  }

  private voxelOfClass(c: PreparedCase, k: number): number {
    const list = k === -1 ? c.foreground : c.classVoxels[k];
    if (list !== undefined) return list[this.rng.int(0, list.length - 1)]!;
    // Majority class: rejection from uniform voxels accepts with probability > 1/2.
    const n = c.label.length;
    for (;;) {
      const v = this.rng.int(0, n - 1);
      if (c.label[v] === k) return v;
    }
  }

  private drawOrigin(c: PreparedCase): { caseOrigin: number[]; centre: number } {
    const [X, Y, Z] = c.dims;
    const dims = [X, Y, Z];
    // Positions of the label region (the whole patch by default); the patch starts `offset3` before it.
    const lo = dims.map((d, a) => Math.min(0, d - this.region3[a]!));
    const hi = dims.map((d, a) => Math.max(0, d - this.region3[a]!));
    const toPatch = (region: number[]): number[] => region.map((r, a) => r - this.offset3[a]!);
    if (this.mode === 'uniform') {
      return { caseOrigin: toPatch(dims.map((_, a) => this.rng.int(lo[a]!, hi[a]!))), centre: -1 };
    }
    // 'foreground': any foreground voxel, then any position whose region contains it.
    const voxel = this.voxelOfClass(c, -1);
    const pos = [Math.floor(voxel / (Y * Z)), Math.floor(voxel / Z) % Y, voxel % Z];
    const origin = pos.map((v, a) => this.rng.int(Math.max(lo[a]!, v - this.region3[a]! + 1), Math.min(hi[a]!, v)));
    return { caseOrigin: toPatch(origin), centre: c.label[voxel]! };
  }

  private pickClass(): number {
    const ratios = this.classRatios!;
    const u = this.rng.next();
    let acc = 0;
    for (let k = 0; k < ratios.length; k++) {
      acc += ratios[k]!;
      if (u < acc && ratios[k]! > 0) return k;
    }
    let last = ratios.length - 1;
    while (ratios[last] === 0) last--;
    return last;
  }

  /** Draws one batch. */
  next(): PatchBatch {
    const [px, py, pz] = this.patch3;
    const C = this.channels;
    const per = px * py * pz;
    const B = this.batchSize;
    const images = new Float32Array(B * per * C);
    const labels = new Int32Array(B * per);
    const out: PatchBatch = {
      images,
      labels,
      imageShape: [B, ...this.patchSize, C],
      labelShape: [B, ...this.patchSize, 1],
      cases: [],
      origins: [],
      centreClasses: [],
      foregroundFractions: [],
    };
    for (let b = 0; b < B; b++) {
      let ci: number;
      let classForCase: number | undefined;
      if (this.mode === 'uniform') ci = this.rng.int(0, this.cases.length - 1);
      else if (this.mode === 'foreground') ci = this.pickCase((c) => c.foreground.length > 0);
      else {
        classForCase = this.pickClass();
        const k = classForCase;
        ci = this.pickCase((c) => (c.classCounts[k] ?? 0) > 0);
      }
      const c = this.cases[ci]!;
      const { caseOrigin, centre } = classForCase === undefined ? this.drawOrigin(c) : this.drawBalanced(c, classForCase);
      const fg = this.extract(c, caseOrigin, images, labels, b * per);
      const fraction = fg / (this.region3[0] * this.region3[1] * this.region3[2]);
      out.cases.push(ci);
      out.origins.push(this.patchSize.map((_, a) => caseOrigin[a]!));
      out.centreClasses.push(centre);
      out.foregroundFractions.push(fraction);
      this.record(fraction, centre);
    }
    this.batches++;
    return out;
  }

  private drawBalanced(c: PreparedCase, klass: number): { caseOrigin: number[]; centre: number } {
    const [X, Y, Z] = c.dims;
    const dims = [X, Y, Z];
    const voxel = this.voxelOfClass(c, klass);
    const pos = [Math.floor(voxel / (Y * Z)), Math.floor(voxel / Z) % Y, voxel % Z];
    const origin = pos.map((v, a) => {
      const p = this.region3[a]!;
      const lo = Math.min(0, dims[a]! - p);
      const hi = Math.max(0, dims[a]! - p);
      return Math.min(hi, Math.max(lo, v - Math.floor(p / 2))) - this.offset3[a]!;
    });
    return { caseOrigin: origin, centre: klass };
  }

  /** Copies one patch (with padding) into the batch; returns its number of foreground voxels in the label region. */
  private extract(c: PreparedCase, origin: number[], images: Float32Array, labels: Int32Array, at: number): number {
    const [X, Y, Z] = c.dims;
    const [px, py, pz] = this.patch3;
    const C = c.channels;
    const [ox, oy, oz] = origin as [number, number, number];
    const k0 = Math.max(0, -oz);
    const k1 = Math.min(pz, Z - oz);
    const [rx, ry, rz] = this.region3;
    const [fx, fy, fz] = this.offset3;
    let fg = 0;
    for (let a = 0; a < px; a++) {
      const i = ox + a;
      for (let b = 0; b < py; b++) {
        const j = oy + b;
        const dstRow = at + (a * py + b) * pz;
        if (i < 0 || i >= X || j < 0 || j >= Y || k1 <= k0) {
          if (this.padValue !== 0) images.fill(this.padValue, dstRow * C, (dstRow + pz) * C);
          continue;
        }
        const srcRow = (i * Y + j) * Z + oz;
        if (this.padValue !== 0) {
          if (k0 > 0) images.fill(this.padValue, dstRow * C, (dstRow + k0) * C);
          if (k1 < pz) images.fill(this.padValue, (dstRow + k1) * C, (dstRow + pz) * C);
        }
        // Runs are short (pz·C values): a plain loop beats allocating a subarray view per row.
        const img = c.image;
        const lab = c.label;
        for (let s = (srcRow + k0) * C, d = (dstRow + k0) * C, end = (srcRow + k1) * C; s < end; s++, d++) images[d] = img[s]!;
        for (let k = k0; k < k1; k++) labels[dstRow + k] = lab[srcRow + k]!;
        if (a >= fx && a < fx + rx && b >= fy && b < fy + ry) {
          for (let k = Math.max(k0, fz), end = Math.min(k1, fz + rz); k < end; k++) if (lab[srcRow + k] !== 0) fg++;
        }
      }
    }
    return fg;
  }

  private record(fraction: number, centre: number): void {
    this.drawn++;
    this.fractionSum += fraction;
    if (fraction === 0) this.emptyCount++;
    if (this.fractions.length < 1_000_000) this.fractions.push(fraction);
    if (centre >= 0) {
      while (this.centreCounts.length <= centre) this.centreCounts.push(0);
      this.centreCounts[centre]!++;
    }
  }

  /** Statistics of the foreground fraction of every patch drawn since construction or `resetStatistics`. */
  statistics(): ForegroundFractionStatistics {
    const sorted = Float64Array.from(this.fractions).sort();
    const q = (percent: number): number => percentileOfSorted(sorted, percent);
    const centred = this.centreCounts.reduce((a, b) => a + b, 0);
    return {
      patches: this.drawn,
      mean: this.drawn > 0 ? this.fractionSum / this.drawn : Number.NaN,
      median: q(50),
      q05: q(5),
      q25: q(25),
      q75: q(75),
      q95: q(95),
      min: q(0),
      max: q(100),
      emptyShare: this.drawn > 0 ? this.emptyCount / this.drawn : Number.NaN,
      centreClassShares: centred > 0 ? this.centreCounts.map((n) => n / centred) : [],
    };
  }

  resetStatistics(): void {
    this.fractions = [];
    this.centreCounts = [];
    this.fractionSum = 0;
    this.emptyCount = 0;
    this.drawn = 0;
  }

  /** The random state, the number of batches drawn and the statistics so far (copies), for checkpoints. */
  getState(): PatchSamplerState {
    const statistics = { drawn: this.drawn, fractionSum: this.fractionSum, emptyCount: this.emptyCount, fractions: [...this.fractions], centreCounts: [...this.centreCounts] };
    return { random: this.rng.getState(), batches: this.batches, statistics };
  }

  /** Resumes from a state returned by `getState` (of a sampler built with the same cases and options). */
  setState(state: PatchSamplerState): void {
    if (!Number.isInteger(state.random) || !Number.isInteger(state.batches) || state.batches < 0) {
      throw new Error(`PatchSampler.setState: expected {random: integer, batches: integer ≥ 0}, got ${JSON.stringify(state)}`);
    }
    this.rng = Random.fromState(state.random);
    this.batches = state.batches;
    const st = state.statistics;
    if (st === undefined) return;
    const counts = [st.drawn, st.emptyCount, ...st.centreCounts];
    if (!counts.every((n) => Number.isInteger(n) && n >= 0) || !Number.isFinite(st.fractionSum) || !st.fractions.every((f) => f >= 0 && f <= 1)) {
      throw new Error('PatchSampler.setState: statistics must hold counts (integers ≥ 0), a finite fractionSum and fractions in [0, 1]');
    }
    this.drawn = st.drawn;
    this.fractionSum = st.fractionSum;
    this.emptyCount = st.emptyCount;
    this.fractions = [...st.fractions];
    this.centreCounts = [...st.centreCounts];
  }
}
