import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { untrainedModelFolder } from '../inference/untrainedModel.js';
import { Random } from '../../src/common/random.js';
import { readNifti, writeNifti } from '../../src/data/node/niftiFiles.js';
import { createVolume } from '../../src/data/volume.js';
import { gendice } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'gendice-predict-flags-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const modelFolder = (name: string, seed: number, classes = 2): Promise<string> => untrainedModelFolder(dir, name, seed, classes);

describe('gendice predict: --model repeated, --tta, --no-postprocessing', () => {
  let image: string;
  beforeAll(async () => {
    const r = new Random(3);
    image = join(dir, 'case.nii.gz');
    await writeNifti(image, createVolume(Float32Array.from({ length: 16 * 16 }, () => r.normal()), [16, 16]));
  });

  it('averages two models with test-time mirroring and writes labels and probabilities', async () => {
    const [a, b] = [await modelFolder('a', 1, 2), await modelFolder('b', 2, 2)];
    const r = gendice(['predict', '--model', a, '--model', b, '--input', image, '--out', join(dir, 'out'), '--tta', '--no-postprocessing', '--probabilities', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const [c] = (JSON.parse(r.stdout) as { cases: Array<{ labels: string; probabilities: string; windows: number; postprocessed: number[] }> }).cases;
    // One 16×16 window per model.
    expect(c!.windows).toBe(2);
    expect(c!.postprocessed).toEqual([]);
    expect((await readNifti(c!.probabilities)).channels).toBe(2);
    // Models that disagree are named, with a non-zero exit.
    const three = await modelFolder('three', 3, 3);
    const bad = gendice(['predict', '--model', a, '--model', three, '--input', image, '--out', join(dir, 'bad')]);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain(`predictEnsemble: model 2 (${three}) has 3 classes and 1 input channel(s), model 1 (${a}) has 2 and 1`);
    expect(bad.stdout).toBe('');
  });
});
