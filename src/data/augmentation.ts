import { Random } from '../common/index.js';
import type { PatchBatch } from './patchSampler.js';

export interface AugmentationOptions {
  /** Mirror each listed spatial axis independently with `probability` (default 0.5). Off when absent. */
  flip?: { axes: number[]; probability?: number };
  /** Rotate by k·90° (k uniform in 1..3) in the plane of two spatial axes of equal patch extent, with `probability` (default 0.5). */
  rotate90?: { axes: [number, number]; probability?: number };
  /** Multiply each patch channel by a factor uniform in [lo, hi]. Images only. */
  intensityScale?: [number, number];
  /** Add to each patch channel an offset uniform in [lo, hi]. Images only. */
  intensityShift?: [number, number];
  /** Default 0. */
  seed?: number;
}

type CoordinateMap = (x: number[]) => void;

function checkProbability(p: number, what: string): void {
  if (!(p >= 0 && p <= 1)) throw new Error(`Augmenter: ${what}.probability must be in [0, 1], got ${p}`);
}

function checkRange(r: [number, number] | undefined, what: string): void {
  if (r !== undefined && !(r.length === 2 && Number.isFinite(r[0]) && Number.isFinite(r[1]) && r[0] <= r[1])) {
    throw new Error(`Augmenter: ${what} must be [lo, hi] with lo ≤ hi, got [${String(r)}]`);
  }
}

/**
 * Seeded data augmentation of patch batches: flips, 90° rotations (geometry applied to images and labels
 * alike), intensity scale and shift (images only). Everything is off unless asked for, as in the paper.
 */
export class Augmenter {
  private readonly options: AugmentationOptions;
  private rng: Random;

  constructor(options: AugmentationOptions = {}) {
    if (options.flip !== undefined) checkProbability(options.flip.probability ?? 0.5, 'flip');
    if (options.rotate90 !== undefined) {
      checkProbability(options.rotate90.probability ?? 0.5, 'rotate90');
      const [a, b] = options.rotate90.axes;
      if (a === b) throw new Error(`Augmenter: rotate90.axes must name two different axes, got [${a}, ${b}]`);
    }
    checkRange(options.intensityScale, 'intensityScale');
    checkRange(options.intensityShift, 'intensityShift');
    this.options = options;
    this.rng = new Random(options.seed ?? 0);
  }

  /** True when no transform is configured (augment() then leaves batches untouched). */
  get isIdentity(): boolean {
    const o = this.options;
    return o.flip === undefined && o.rotate90 === undefined && o.intensityScale === undefined && o.intensityShift === undefined;
  }

  /** Transforms a batch in place and returns it. */
  augment(batch: PatchBatch): PatchBatch {
    if (this.isIdentity) return batch;
    const spatial = batch.imageShape.slice(1, -1);
    const rank = spatial.length;
    const C = batch.imageShape[batch.imageShape.length - 1]!;
    const B = batch.imageShape[0]!;
    const per = spatial.reduce((a, b) => a * b, 1);
    const { flip, rotate90, intensityScale, intensityShift } = this.options;
    flip?.axes.forEach((a) => {
      if (!(Number.isInteger(a) && a >= 0 && a < rank)) throw new Error(`Augmenter: flip axis ${a} out of range for ${rank}D patches`);
    });
    if (rotate90 !== undefined) {
      const [a, b] = rotate90.axes;
      if (!(a >= 0 && a < rank && b >= 0 && b < rank) || spatial[a] !== spatial[b]) {
        throw new Error(`Augmenter: rotate90 axes [${a}, ${b}] need equal patch extents, patch is [${spatial.join(', ')}]`);
      }
    }
    const strides = spatial.map((_, a) => spatial.slice(a + 1).reduce((x, y) => x * y, 1));
    const coords = new Array<number>(rank).fill(0);
    for (let b = 0; b < B; b++) {
      const maps: CoordinateMap[] = [];
      flip?.axes.forEach((a) => {
        if (this.rng.next() < (flip.probability ?? 0.5)) {
          const n = spatial[a]!;
          maps.push((x) => {
            x[a] = n - 1 - x[a]!;
          });
        }
      });
      if (rotate90 !== undefined && this.rng.next() < (rotate90.probability ?? 0.5)) {
        const turns = this.rng.int(1, 3);
        const [a, c] = rotate90.axes;
        const n = spatial[a]!;
        for (let t = 0; t < turns; t++) {
          maps.push((x) => {
            const xa = x[a]!;
            x[a] = x[c]!;
            x[c] = n - 1 - xa;
          });
        }
      }
      if (maps.length > 0) {
        const img = batch.images.slice(b * per * C, (b + 1) * per * C);
        const lab = batch.labels.slice(b * per, (b + 1) * per);
        for (let d = 0; d < per; d++) {
          let r = d;
          for (let a = 0; a < rank; a++) {
            coords[a] = Math.floor(r / strides[a]!);
            r -= coords[a]! * strides[a]!;
          }
          for (let m = maps.length - 1; m >= 0; m--) maps[m]!(coords);
          let s = 0;
          for (let a = 0; a < rank; a++) s += coords[a]! * strides[a]!;
          batch.labels[b * per + d] = lab[s]!;
          for (let c = 0; c < C; c++) batch.images[(b * per + d) * C + c] = img[s * C + c]!;
        }
      }
      for (let c = 0; c < C; c++) {
        const scale = intensityScale === undefined ? 1 : intensityScale[0] + (intensityScale[1] - intensityScale[0]) * this.rng.next();
        const shift = intensityShift === undefined ? 0 : intensityShift[0] + (intensityShift[1] - intensityShift[0]) * this.rng.next();
        if (scale === 1 && shift === 0) continue;
        for (let d = 0; d < per; d++) {
          const i = (b * per + d) * C + c;
          batch.images[i] = batch.images[i]! * scale + shift;
        }
      }
    }
    return batch;
  }

  getState(): { random: number } {
    return { random: this.rng.getState() };
  }

  setState(state: { random: number }): void {
    this.rng = Random.fromState(state.random);
  }
}
