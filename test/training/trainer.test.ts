import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../src/networks/index.js';
import { latestCheckpointDir, TrainLog, train, TrainingDivergedError } from '../../src/training/index.js';
import { tinyConfig } from './tinyConfig.js';

const root = mkdtempSync(join(tmpdir(), 'gendice-train-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function weightsOf(dir: string): Promise<Float32Array[]> {
  const model = await loadModel(dir);
  const w = model.getWeights().map((t) => t.dataSync() as Float32Array);
  model.dispose();
  return w;
}

describe('train', () => {
  it('writes config, log, checkpoints, model and the paper score; is deterministic for a seed', async () => {
    const a = await train(tinyConfig(), { outDir: join(root, 'a') });
    const b = await train(tinyConfig(), { outDir: join(root, 'b') });
    for (const f of ['config.json', 'log.jsonl', 'result.json', 'model/model.json', 'model/weights.bin', 'model/gendice.json']) expect(existsSync(join(a.outDir, f))).toBe(true);
    expect(latestCheckpointDir(a.outDir)).toMatch(/iter-0000008$/);
    const records = new TrainLog(join(a.outDir, 'log.jsonl')).read();
    expect(records.filter((r) => r.type === 'train').map((r) => r.iteration)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(records.some((r) => r.type === 'validation')).toBe(true);
    expect(a.scoreIterations).toBe(4);
    expect(a.foregroundFraction.mean).toBeGreaterThan(0);
    const result = JSON.parse(readFileSync(join(a.outDir, 'result.json'), 'utf8')) as { iterations: number };
    expect(result.iterations).toBe(8);
    // Same seed, same engine: the same weights and the same losses.
    const [wa, wb] = [await weightsOf(a.modelDir), await weightsOf(b.modelDir)];
    wa.forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(wb[i]!)));
    expect(a.lastLoss).toBe(b.lastLoss);
  });

  it('refuses to overwrite a run that has checkpoints', async () => {
    await expect(train(tinyConfig(), { outDir: join(root, 'a') })).rejects.toThrow(/already holds a training run with checkpoints; use resume/);
  });

  it('stops on a non-finite loss or gradient, naming the iteration and learning rate, and keeps the last good checkpoint', async () => {
    const outDir = join(root, 'nan');
    const config = tinyConfig({ loss: { name: 'wce' }, optimizer: { name: 'sgd', learningRate: 1e30, momentum: 0 }, iterations: 50, checkpoint: { every: 1, keep: 2 } });
    const before = tf.memory().numTensors;
    let error: unknown;
    try {
      await train(config, { outDir });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(TrainingDivergedError);
    const e = error as TrainingDivergedError;
    expect(e.message).toMatch(/^train: non-finite (loss|gradient|network output) at iteration \d+ \(loss .*, learning rate 1e\+30\); training stopped\. The last good checkpoint is .*iter-\d+\./);
    expect(e.iteration).toBeGreaterThan(1);
    expect(e.checkpoint).toBe(latestCheckpointDir(outDir));
    expect(e.checkpoint).toMatch(new RegExp(`iter-${String(e.iteration - 1).padStart(7, '0')}$`));
    // The kept checkpoint is loadable and finite.
    const weights = await weightsOf(e.checkpoint!);
    expect(weights.every((w) => w.every(Number.isFinite))).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('trains a network whose output is smaller than its input (labels cropped, validation on larger windows)', async () => {
    const r = await train(
      tinyConfig({ network: { name: 'twoPathCnn', options: { localFilters: 4, globalFilters: 4 } }, patchSize: [17, 17], iterations: 3, checkpoint: { every: 3, keep: 1 }, scoreWindow: 3 }),
      { outDir: join(root, 'twopath') },
    );
    expect(r.iterations).toBe(3);
    expect(Number.isFinite(r.validationDice)).toBe(true);
    // The saved model takes any accepted size, not only the training patch.
    const model = await loadModel(r.modelDir);
    expect((model.predict(tf.zeros([1, 29, 29, 1])) as tf.Tensor).shape).toEqual([1, 17, 17, 2]);
    model.dispose();
  });

  it("draws foreground inside the network's output, where the loss sees it, and measures fractions there", async () => {
    // Two foreground voxels per 24² image; TwoPathCNN maps a 17² patch to a 5² output.
    const config = tinyConfig({
      network: { name: 'twoPathCnn', options: { localFilters: 2, globalFilters: 2 } },
      data: { synthetic: { dims: 2, cases: 4, size: 24, foregroundFraction: 0.003, lesionShape: 'punctate' } },
      patchSize: [17, 17],
      batchSize: 4,
      iterations: 4,
      checkpoint: { every: 4, keep: 1 },
      scoreWindow: 2,
    });
    const r = await train(config, { outDir: join(root, 'region') });
    const fractions = new TrainLog(join(r.outDir, 'log.jsonl'))
      .read()
      .filter((x) => x.type === 'train')
      .map((x) => (x as { foregroundFraction: number }).foregroundFraction);
    expect(fractions).toHaveLength(4);
    // Every one of the 4 outputs of 25 voxels holds foreground: a batch mean of at least 1/25.
    for (const f of fractions) expect(f).toBeGreaterThanOrEqual(1 / 25);
  });

  it('refuses a patch size the network does not accept before training', async () => {
    await expect(train(tinyConfig({ patchSize: [18, 18] }), { outDir: join(root, 'badsize') })).rejects.toThrow(/unet2d: .*18.*2\^2 = 4/);
  });

  it('rejects network options that contradict the data', async () => {
    await expect(train(tinyConfig({ network: { name: 'unet2d', options: { classes: 5 } } }), { outDir: join(root, 'bad') })).rejects.toThrow(
      /network\.options\.classes is 5 but the data have 2/,
    );
  });
});
