import { extractMask, type MaskPair } from './maskPair.js';

/** Per-class confusion counts of one image. */
export interface ConfusionCounts {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

/** Confusion counts `[B][numClasses]` (every class, including background), in one pass per image for two label maps. */
export function confusionCounts(pair: MaskPair): ConfusionCounts[][] {
  const { batch, voxels, numClasses, prediction: P, reference: R } = pair;
  const out: ConfusionCounts[][] = [];
  for (let b = 0; b < batch; b++) {
    const tp = new Float64Array(numClasses);
    const nP = new Float64Array(numClasses);
    const nR = new Float64Array(numClasses);
    const hist = pair.jointHistograms?.[b];
    if (hist !== undefined) {
      for (let a = 0; a < numClasses; a++) {
        for (let c = 0; c < numClasses; c++) {
          const n = hist[(a << 8) | c]!;
          nP[a] = nP[a]! + n;
          nR[c] = nR[c]! + n;
          if (a === c) tp[a] = n;
        }
      }
    } else if (P.kind === 'labels' && R.kind === 'labels') {
      const p = P.data;
      const r = R.data;
      const base = b * voxels;
      // One increment per voxel into a joint (prediction, reference) histogram; labels are validated.
      const joint = new Int32Array(numClasses * numClasses);
      for (let i = base, end = base + voxels; i < end; i++) joint[p[i]! * numClasses + r[i]!]!++;
      for (let a = 0; a < numClasses; a++) {
        for (let c = 0; c < numClasses; c++) {
          const n = joint[a * numClasses + c]!;
          nP[a] = nP[a]! + n;
          nR[c] = nR[c]! + n;
          if (a === c) tp[a] = n;
        }
      }
    } else {
      const mp = new Uint8Array(voxels);
      const mr = new Uint8Array(voxels);
      for (let c = 0; c < numClasses; c++) {
        nP[c] = extractMask(P, voxels, b, c, mp);
        nR[c] = extractMask(R, voxels, b, c, mr);
        let t = 0;
        for (let i = 0; i < voxels; i++) t += mp[i]! & mr[i]!;
        tp[c] = t;
      }
    }
    const row: ConfusionCounts[] = [];
    for (let c = 0; c < numClasses; c++) {
      const t = tp[c]!;
      const fp = nP[c]! - t;
      const fn = nR[c]! - t;
      row.push({ tp: t, fp, fn, tn: voxels - t - fp - fn });
    }
    out.push(row);
  }
  return out;
}
