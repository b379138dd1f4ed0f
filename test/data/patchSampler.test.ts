import { describe, expect, it } from 'vitest';
import { createVolume, generatePhantom, PatchSampler, type SamplerCase } from '../../src/data/index.js';

/** A 2D case of 12×10 with two channels (value = 10·x + y and its negative) and a label pattern. */
function case2d(): SamplerCase {
  const X = 12;
  const Y = 10;
  const image = new Float32Array(X * Y * 2);
  const label = new Uint8Array(X * Y);
  for (let y = 0; y < Y; y++) {
    for (let x = 0; x < X; x++) {
      image[x + X * y] = 10 * x + y;
      image[X * Y + x + X * y] = -(10 * x + y);
      if (x >= 8 && y >= 6) label[x + X * y] = 1; // a 4×4 corner of class 1
      if (x === 2 && y === 2) label[x + X * y] = 2; // one voxel of class 2
    }
  }
  return { image: createVolume(image, [X, Y], { channels: 2 }), label: createVolume(label, [X, Y]) };
}

function drawMany(sampler: PatchSampler, patches: number): void {
  for (let i = 0; i < patches / sampler.batchSize; i++) sampler.next();
}

describe('PatchSampler statistics over 10,000 draws', () => {
  const c = case2d();
  const P = [4, 3];

  it("'uniform' draws every position equally and matches the exact mean foreground fraction", () => {
    // Exact expectation: mean over all (12-4+1)·(10-3+1) = 72 positions.
    let exact = 0;
    for (let ox = 0; ox <= 8; ox++) {
      for (let oy = 0; oy <= 7; oy++) {
        let fg = 0;
        for (let a = 0; a < 4; a++) for (let b = 0; b < 3; b++) if (c.label.data[ox + a + 12 * (oy + b)] !== 0) fg++;
        exact += fg / 12 / 72;
      }
    }
    const sampler = new PatchSampler([c], { patchSize: P, batchSize: 100, mode: 'uniform', seed: 3 });
    const counts = new Map<string, number>();
    for (let i = 0; i < 100; i++) {
      const batch = sampler.next();
      for (const o of batch.origins) counts.set(o.join(','), (counts.get(o.join(',')) ?? 0) + 1);
    }
    const stats = sampler.statistics();
    expect(stats.patches).toBe(10000);
    expect(stats.centreClassShares).toEqual([]);
    expect(Math.abs(stats.mean - exact)).toBeLessThan(0.01);
    expect(counts.size).toBe(72);
    const expected = 10000 / 72;
    for (const n of counts.values()) expect(Math.abs(n - expected)).toBeLessThan(5 * Math.sqrt(expected));
  });

  it("'foreground' draws only patches holding foreground (the paper's rule)", () => {
    const sampler = new PatchSampler([c], { patchSize: P, batchSize: 50, mode: 'foreground', seed: 4 });
    drawMany(sampler, 10000);
    const stats = sampler.statistics();
    expect(stats.patches).toBe(10000);
    expect(stats.emptyShare).toBe(0);
    expect(stats.min).toBeGreaterThan(0);
    expect(stats.q05).toBeGreaterThan(0);
    expect(stats.max).toBe(1);
    // 16 voxels of class 1 and one of class 2: anchors follow voxel counts.
    expect(stats.centreClassShares[1]!).toBeCloseTo(16 / 17, 1);
    expect(stats.mean).toBeGreaterThan(stats.q05);
  });

  it("'balanced' centres patches on classes in the requested proportions", () => {
    const ratios = [0.5, 0.3, 0.2];
    const sampler = new PatchSampler([c], { patchSize: P, batchSize: 40, mode: 'balanced', classRatios: ratios, seed: 5 });
    let holdsItsClass = 0;
    for (let i = 0; i < 250; i++) {
      const batch = sampler.next();
      batch.centreClasses.forEach((k, b) => {
        const patch = batch.labels.subarray(b * 12, (b + 1) * 12);
        if (patch.includes(k)) holdsItsClass++;
      });
    }
    const stats = sampler.statistics();
    expect(stats.patches).toBe(10000);
    expect(holdsItsClass).toBe(10000);
    ratios.forEach((r, k) => expect(Math.abs(stats.centreClassShares[k]! - r)).toBeLessThan(0.02));
  });
});

describe('PatchSampler patches', () => {
  it('copies the right voxels, channels last, with padding outside the volume', () => {
    const c = case2d();
    const sampler = new PatchSampler([c], { patchSize: [16, 3], batchSize: 8, mode: 'uniform', seed: 9, padValue: -1 });
    const batch = sampler.next();
    expect(batch.imageShape).toEqual([8, 16, 3, 2]);
    expect(batch.labelShape).toEqual([8, 16, 3, 1]);
    expect(batch.images.length).toBe(8 * 16 * 3 * 2);
    batch.origins.forEach((o, b) => {
      expect(o[0]).toBeGreaterThanOrEqual(-4);
      expect(o[0]).toBeLessThanOrEqual(0);
      for (let a = 0; a < 16; a++) {
        for (let e = 0; e < 3; e++) {
          const x = o[0]! + a;
          const y = o[1]! + e;
          const at = (b * 16 + a) * 3 + e;
          const inside = x >= 0 && x < 12;
          expect(batch.images[at * 2]).toBe(inside ? 10 * x + y : -1);
          expect(batch.images[at * 2 + 1]).toBe(inside ? -(10 * x + y) : -1);
          expect(batch.labels[at]).toBe(inside ? c.label.data[x + 12 * y] : 0);
        }
      }
    });
  });

  it('samples 3D phantoms and reports their foreground fraction', () => {
    const p = generatePhantom({ dims: 3, size: 32, foregroundFraction: 0.002, seed: 1 });
    const sampler = new PatchSampler([p], { patchSize: [8, 8, 8], batchSize: 4, seed: 2 });
    const batch = sampler.next();
    expect(batch.imageShape).toEqual([4, 8, 8, 8, 1]);
    expect(batch.foregroundFractions.every((f) => f > 0)).toBe(true);
    // foreground voxels in the label batch agree with the reported fractions
    batch.foregroundFractions.forEach((f, b) => {
      let n = 0;
      for (let i = b * 512; i < (b + 1) * 512; i++) if (batch.labels[i] !== 0) n++;
      expect(n / 512).toBe(f);
    });
  });

  it('resumes the same sequence from a saved state', () => {
    const c = case2d();
    const options = { patchSize: [4, 3], batchSize: 5, mode: 'foreground' as const, seed: 21 };
    const a = new PatchSampler([c], options);
    for (let i = 0; i < 5; i++) a.next();
    const state = a.getState();
    expect(state.batches).toBe(5);
    const rest = [a.next(), a.next()];
    const b = new PatchSampler([c], options);
    b.setState(state);
    const resumed = [b.next(), b.next()];
    resumed.forEach((batch, i) => {
      expect(batch.origins).toEqual(rest[i]!.origins);
      expect(Array.from(batch.images)).toEqual(Array.from(rest[i]!.images));
    });
    expect(b.getState()).toEqual(a.getState());
    // The statistics continue too: the resumed sampler reports those of all 7 batches.
    expect(b.statistics()).toEqual(a.statistics());
    expect(b.statistics().patches).toBe(35);
  });

  it('refuses bad options with named errors', () => {
    const c = case2d();
    expect(() => new PatchSampler([c], { patchSize: [4, 3], batchSize: 2, mode: 'foregrund' as 'foreground' })).toThrow(
      /PatchSampler: mode must be one of 'uniform', 'foreground', 'balanced'; got 'foregrund' \(did you mean 'foreground'\?\)/,
    );
    expect(() => new PatchSampler([c], { patchSize: [4, 3, 2], batchSize: 2 })).toThrow(/patchSize must be 2 positive integers for 2D volumes/);
    expect(() => new PatchSampler([c], { patchSize: [4, 3], batchSize: 0 })).toThrow(/batchSize must be a positive integer, got 0/);
    expect(() => new PatchSampler([c], { patchSize: [4, 3], batchSize: 2, mode: 'balanced' })).toThrow(/needs classRatios/);
    expect(() => new PatchSampler([c], { patchSize: [4, 3], batchSize: 2, mode: 'uniform', classRatios: [1, 1] })).toThrow(
      /classRatios only applies to mode 'balanced'/,
    );
    expect(() => new PatchSampler([c], { patchSize: [4, 3], batchSize: 2, mode: 'balanced', classRatios: [1, 1, 1, 1] })).toThrow(
      /classRatios\[3\] = 0.25 but no case holds class 3/,
    );
    const empty = { image: c.image, label: createVolume(new Uint8Array(120), [12, 10]) };
    expect(() => new PatchSampler([empty], { patchSize: [4, 3], batchSize: 2 })).toThrow(/no case holds a foreground voxel/);
    const bad = { image: c.image, label: createVolume(Float32Array.from({ length: 120 }, () => 0.5), [12, 10]) };
    expect(() => new PatchSampler([bad], { patchSize: [4, 3], batchSize: 2, mode: 'uniform' })).toThrow(/label voxel 0 is 0.5/);
  });
});

describe('PatchSampler label region (networks whose output is smaller than the patch)', () => {
  /** A 12×10 single-channel case whose only foreground voxel is `at`. */
  function oneVoxel(at: [number, number]): SamplerCase {
    const image = Float32Array.from({ length: 120 }, (_, i) => i);
    const label = new Uint8Array(120);
    label[at[0] + 12 * at[1]] = 1;
    return { image: createVolume(image, [12, 10]), label: createVolume(label, [12, 10]) };
  }
  /** Foreground voxels of patch b inside its centred region. */
  function regionForeground(labels: Int32Array, b: number, patch: number[], region: number[]): number {
    const off = patch.map((p, a) => Math.floor((p - region[a]!) / 2));
    let n = 0;
    for (let a = off[0]!; a < off[0]! + region[0]!; a++) for (let e = off[1]!; e < off[1]! + region[1]!; e++) if (labels[(b * patch[0]! + a) * patch[1]! + e] !== 0) n++;
    return n;
  }

  it("'foreground': the chosen voxel lies in the label region, even at a corner of the volume (the patch reaches past it)", () => {
    const sampler = new PatchSampler([oneVoxel([0, 9])], { patchSize: [7, 7], labelRegion: [3, 3], batchSize: 50, seed: 4 });
    const batch = sampler.next();
    for (let b = 0; b < 50; b++) {
      expect(regionForeground(batch.labels, b, [7, 7], [3, 3])).toBe(1);
      expect(batch.foregroundFractions[b]).toBe(1 / 9);
      // The region sits inside the volume: x at 0..2, y at 7..9, so the patch starts 2 before it.
      expect(batch.origins[b]).toEqual([-2, 5]);
    }
    // Without the region the same voxel lands anywhere in the 7×7 patch, mostly outside its centre.
    const whole = new PatchSampler([oneVoxel([0, 9])], { patchSize: [7, 7], batchSize: 200, seed: 4 }).next();
    const inCentre = Array.from({ length: 200 }, (_, b) => regionForeground(whole.labels, b, [7, 7], [3, 3])).filter((n) => n > 0).length;
    expect(inCentre).toBeLessThan(100);
  });

  it("'uniform' places the region at every position inside the volume with equal frequency; fractions count the region only", () => {
    const c = case2d();
    const sampler = new PatchSampler([c], { patchSize: [8, 7], labelRegion: [4, 3], batchSize: 100, mode: 'uniform', seed: 5 });
    const counts = new Map<string, number>();
    for (let i = 0; i < 80; i++) {
      const batch = sampler.next();
      batch.origins.forEach((o, b) => {
        const region = [o[0]! + 2, o[1]! + 2];
        counts.set(region.join(','), (counts.get(region.join(',')) ?? 0) + 1);
        expect(batch.foregroundFractions[b]).toBe(regionForeground(batch.labels, b, [8, 7], [4, 3]) / 12);
      });
    }
    // Region origins 0..8 × 0..7: 72 positions, 8000 draws, about 111 each.
    expect(counts.size).toBe(72);
    for (const [key, n] of counts) {
      const [x, y] = key.split(',').map(Number);
      expect(x! >= 0 && x! <= 8 && y! >= 0 && y! <= 7).toBe(true);
      expect(n).toBeGreaterThan(60);
      expect(n).toBeLessThan(170);
    }
  });

  it("'balanced' centres the region on the chosen voxel", () => {
    const c = case2d();
    const sampler = new PatchSampler([c], { patchSize: [9, 9], labelRegion: [3, 3], batchSize: 20, mode: 'balanced', classRatios: [0, 0, 1], seed: 6 });
    const batch = sampler.next();
    for (let b = 0; b < 20; b++) {
      // The class-2 voxel (2, 2): region 1..3 × 1..3, patch from -2.
      expect(batch.origins[b]).toEqual([-2, -2]);
      expect(batch.labels[(b * 9 + 4) * 9 + 4]).toBe(2);
    }
  });

  it('a region equal to the patch draws exactly what the default draws', () => {
    const c = case2d();
    for (const mode of ['uniform', 'foreground'] as const) {
      const a = new PatchSampler([c], { patchSize: [5, 4], batchSize: 30, mode, seed: 7 }).next();
      const b = new PatchSampler([c], { patchSize: [5, 4], labelRegion: [5, 4], batchSize: 30, mode, seed: 7 }).next();
      expect(b.origins).toEqual(a.origins);
      expect(b.foregroundFractions).toEqual(a.foregroundFractions);
    }
  });

  it('refuses a region larger than the patch or of the wrong rank', () => {
    const c = case2d();
    expect(() => new PatchSampler([c], { patchSize: [5, 4], labelRegion: [6, 4], batchSize: 2 })).toThrow(/PatchSampler: labelRegion must be 2 integers in 1\.\.patchSize \[5, 4\], got \[6,4\]/);
    expect(() => new PatchSampler([c], { patchSize: [5, 4], labelRegion: [3], batchSize: 2 })).toThrow(/labelRegion must be 2 integers/);
    // The option was called labelShape (a name PatchBatch keeps for the labels' tensor shape): refused, not ignored.
    expect(() => new PatchSampler([c], { patchSize: [5, 4], labelShape: [3, 3], batchSize: 2 } as never)).toThrow(/^PatchSampler: unknown option 'labelShape'; known options: patchSize, batchSize, mode, classRatios, seed, padValue, labelRegion$/);
  });
});
