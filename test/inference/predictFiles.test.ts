import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { untrainedModelFolder } from './untrainedModel.js';
import { Random } from '../../src/common/random.js';
import { readNifti, writeNifti } from '../../src/data/node/niftiFiles.js';
import { createVolume, volumeToChannelsLast } from '../../src/data/volume.js';
import { connectedComponents, type PostprocessingPlan } from '../../src/inference/index.js';
import { writePostprocessing } from '../../src/inference/node/postprocessingFile.js';
import { predictFiles } from '../../src/inference/node/predictFiles.js';

const dir = mkdtempSync(join(tmpdir(), 'gendice-predict-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const modelFolder = (name: string, seed: number, classes = 2): Promise<string> => untrainedModelFolder(dir, name, seed, classes);

const plan = (on: boolean): PostprocessingPlan => ({ format: 'gendice-postprocessing/1', connectivity: 'face', cases: 1, structures: [{ label: 1, diceBefore: 0.5, diceAfter: 0.6, largestComponent: on }] });

describe('predictFiles with several models and post-processing', () => {
  let a: string;
  let b: string;
  let image: string;
  beforeAll(async () => {
    a = await modelFolder('a', 1);
    b = await modelFolder('b', 2);
    const r = new Random(7);
    image = join(dir, 'case_0000.nii.gz');
    await writeNifti(image, createVolume(Float32Array.from({ length: 32 * 32 }, () => r.normal()), [32, 32]));
  });

  it('averages the probabilities of the models', async () => {
    const read = async (models: string[], out: string): Promise<Float32Array> => {
      const [res] = await predictFiles(models, image, join(dir, out), { probabilities: true });
      return (await readNifti(res!.probabilities!)).data as Float32Array;
    };
    const [pa, pb, both] = [await read([a], 'pa'), await read([b], 'pb'), await read([a, b], 'pab')];
    let worst = 0;
    for (let i = 0; i < both.length; i++) worst = Math.max(worst, Math.abs(both[i]! - (pa[i]! + pb[i]!) / 2));
    expect(worst).toBeLessThan(1e-6);
  });

  it("applies a model folder's postprocessing.json by default, and not when told", async () => {
    const folder = await modelFolder('pp', 7);
    const components = async (out: string, postprocessing?: boolean): Promise<{ count: number; postprocessed: number[] }> => {
      const [res] = await predictFiles(folder, image, join(dir, out), postprocessing === undefined ? {} : { postprocessing });
      const labels = await readNifti(res!.labels);
      return { count: connectedComponents(volumeToChannelsLast(labels).map((v) => (v === 1 ? 1 : 0)), labels.shape).count, postprocessed: res!.postprocessed };
    };
    const none = await components('none');
    expect(none.count).toBeGreaterThan(1);
    writePostprocessing(folder, plan(true));
    expect(await components('on')).toEqual({ count: 1, postprocessed: [1] });
    expect(await components('skipped', false)).toEqual({ count: none.count, postprocessed: [] });
    writePostprocessing(folder, plan(false));
    expect((await components('off')).count).toBe(none.count);
  });

  it('names the models that disagree, a training run folder and a missing model', async () => {
    const three = await modelFolder('three', 4, 3);
    await expect(predictFiles([a, three], image, join(dir, 'x'))).rejects.toThrow(
      `predictEnsemble: model 2 (${three}) has 3 classes and 1 input channel(s), model 1 (${a}) has 2 and 1; ensembled models must agree on classes and input channels`,
    );
    const run = join(dir, 'run');
    mkdirSync(run);
    await modelFolder(join('run', 'model'), 5);
    await expect(predictFiles(run, image, join(dir, 'x'))).rejects.toThrow(`predict: --model '${run}' is a training run folder, not a model folder; give '${join(run, 'model')}'`);
    await expect(predictFiles(join(dir, 'nothing'), image, join(dir, 'x'))).rejects.toThrow(/^readModelCard: .*nothing\/gendice\.json not found/);
  });
});
