import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/common/node/atomicWrite.js';
import { writeNifti } from '../../src/data/node/niftiFiles.js';
import { createVolume } from '../../src/data/volume.js';
import { parseTrainingConfig } from '../../src/training/config.js';
import { loadTrainingData } from '../../src/training/node/trainingData.js';
import { expandGrid, parseStudyConfig, trialTrainingConfig } from '../../src/study/grid.js';
import { PREDICTIONS_DIR, PREDICTIONS_FILE, type HeldOutPredictions } from '../../src/study/node/heldOutPredictions.js';
import { openStudy, readStudy, trialDir, writeTrialRecord } from '../../src/study/node/store.js';
import { STUDY_PROTOCOL } from '../../src/study/protocol.js';
import { overlaySliceIndex } from '../../src/study/report/index.js';
import { writeReport } from '../../src/study/report/node/index.js';
import { decodePng, isPredictionTint } from './pngPixels.js';

const dir = mkdtempSync(join(tmpdir(), 'gendice-heldout3d-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A 3D study whose one trial "predicted" its 4 test cases by hand (no training): the reference itself
// (Dice 1), the reference without its largest slice, half of it, and nothing (Dice 0).
const study = parseStudyConfig({
  name: 'pictures-3d',
  data: { synthetic: { dims: 3, cases: 8, size: 24, foregroundFraction: 0.01, lesionShape: 'blobs' }, validationFraction: 0, testFraction: 0.5 },
  networks: [{ name: 'unet3d', options: { depth: 2, baseFilters: 4 }, patches: [{ patchSize: [16, 16, 16], batchSize: 1 }] }],
  losses: [{ name: 'gdl' }],
  learningRates: [0.01],
  seeds: [1],
  iterations: 10,
  scoreWindow: 5,
});

describe('report pictures of a 3D study', () => {
  it('pick by Dice and show the axial slice with the most reference voxels', async () => {
    openStudy(dir, study);
    const [trial] = expandGrid(study);
    const folder = trialDir(dir, trial!.id);
    const config = parseTrainingConfig(trialTrainingConfig(study, trial!.parameters));
    mkdirSync(join(folder, PREDICTIONS_DIR), { recursive: true });
    writeFileAtomic(join(folder, 'config.json'), JSON.stringify(config));
    const { test } = await loadTrainingData(config);
    expect(test).toHaveLength(4);
    const dice = [1, 0.8, 0.5, 0];
    const index: HeldOutPredictions = { cases: [] };
    for (const [n, c] of test.entries()) {
      const labels = Uint8Array.from(c.label.data, (v) => (v > 0 ? 1 : 0));
      const [X, Y, Z] = c.image.shape as [number, number, number];
      const k = overlaySliceIndex(c.label, c.label);
      // Case 1 keeps the reference but its largest slice; 2, the lower half of the slices; 3 predicts nothing.
      for (let i = 0; i < labels.length; i++) {
        const z = Math.floor(i / (X * Y));
        if ((n === 1 && z === k) || (n === 2 && z >= Z / 2) || n === 3) labels[i] = 0;
      }
      await writeNifti(join(folder, PREDICTIONS_DIR, `${c.id}.nii.gz`), createVolume(labels, c.image.shape));
      index.cases.push({ case: c.id, file: `${c.id}.nii.gz`, dice: dice[n]!, shape: c.image.shape });
    }
    writeFileAtomic(join(folder, PREDICTIONS_DIR, PREDICTIONS_FILE), JSON.stringify(index));
    writeTrialRecord(dir, {
      ...trial!.parameters,
      id: trial!.id,
      protocol: STUDY_PROTOCOL,
      status: 'done',
      score: 0.5,
      scoreWindow: 5,
      foregroundFraction: { mean: 0.01, median: 0.01 },
      validationDice: null,
      testDice: dice,
      curve: [{ iteration: 10, loss: 0.5, dice: 0.5 }],
      seconds: 1,
      engine: 'native',
      finishedAt: new Date().toISOString(),
    });

    const report = await writeReport(dir, readStudy(dir));
    const { pictures, note } = report.pictures;
    expect(note).toBeNull();
    expect(pictures.map((p) => [p.rank, p.case, p.dice])).toEqual([
      ['best', test[0]!.id, 1],
      ['median', test[1]!.id, 0.8],
      ['worst', test[3]!.id, 0],
    ]);
    for (const p of pictures) {
      const c = test.find((t) => t.id === p.case)!;
      const [X, Y] = c.image.shape as [number, number];
      const k = overlaySliceIndex(c.label, c.label);
      expect(p.slice).toBe(k);
      expect(report.pictures.views[trial!.id]).toHaveLength(4);
      // The best case predicts the reference: every reference voxel of the shown slice is tinted (24 voxels → 10 px each).
      const pixels = decodePng(new Uint8Array(readFileSync(join(dir, 'report', p.file))));
      let tinted = 0;
      let lesion = 0;
      for (let j = 0; j < Y; j++) {
        for (let i = 0; i < X; i++) {
          if (!(c.label.data[i + X * (j + Y * k)]! > 0)) continue;
          lesion++;
          if (isPredictionTint(pixels.at(i * 10 + 5, 22 + (Y - 1 - j) * 10 + 5))) tinted++;
        }
      }
      expect(lesion).toBeGreaterThan(0);
      // The median case lost exactly the shown slice, the worst predicts nothing.
      expect(tinted, p.rank).toBe(p.rank === 'best' ? lesion : 0);
    }
  }, 60_000);
});
