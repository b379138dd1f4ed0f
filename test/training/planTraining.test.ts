import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerPlanCommand } from '../../src/cli/plan.js';
import { loadCase, loadDecathlon } from '../../src/data/node/dataset.js';
import { writeRealisticDataset } from '../../src/data/node/realisticDataset.js';
import type { Plan } from '../../src/data/plan.js';
import { applyPlan, planCase, readPlanFile } from '../../src/training/node/planData.js';
import { predictFiles } from '../../src/inference/node/predictFiles.js';
import { readNifti } from '../../src/data/node/niftiFiles.js';
import { readJsonOrYaml } from '../../src/common/node/configFile.js';
import { parseTrainingConfig } from '../../src/training/config.js';
import { train } from '../../src/training/node/trainer.js';
import { loadTrainingData } from '../../src/training/node/trainingData.js';

const dir = mkdtempSync(join(tmpdir(), 'gendice-plantrain-'));
const dataset = join(dir, 'ds');
const planPath = join(dataset, 'plan.json');
let plan: Plan;

beforeAll(async () => {
  await writeRealisticDataset({ out: dataset, cases: 3, seed: 11 });
  const so = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const se = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    const p = new Command().name('gendice').exitOverride();
    registerPlanCommand(p);
    await p.parseAsync(['node', 'gendice', 'plan', dataset, '--target-spacing', '4,4,6', '--patch', '16,16,8', '--batch', '1', '--samples', '200']);
  } finally {
    so.mockRestore();
    se.mockRestore();
  }
  plan = readPlanFile(planPath);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The grid's spacing is the target's up to the rounding of the shape (a few voxels per axis here). */
function expectNearTarget(spacing: readonly number[]): void {
  spacing.forEach((s, a) => expect(Math.abs(s / plan.targetSpacing[a]! - 1)).toBeLessThan(0.2));
}

const base = {
  seed: 1,
  loss: { name: 'gdl' },
  optimizer: { learningRate: 1e-2 },
  iterations: 3,
  data: { dataset, validationFraction: 0.34 },
  checkpoint: { every: 3, keep: 1 },
  scoreWindow: 2,
};

describe('training from a plan', () => {
  it('brings each case to RAS and the target spacing and normalises it per channel', async () => {
    const description = loadDecathlon(dataset);
    const loaded = await loadCase(description.training[0]!, { labels: plan.labels.map((l) => l.value) });
    const c = planCase(loaded.image, loaded.label!, plan);
    expectNearTarget(c.image.spacing);
    expect(c.label.shape).toEqual(c.image.shape);
    expect(c.image.channels).toBe(plan.inputChannels);
    // z-score per channel: mean 0 over each channel
    const n = c.image.data.length / c.image.channels;
    for (let ch = 0; ch < c.image.channels; ch++) {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += c.image.data[ch * n + i]!;
      expect(Math.abs(sum / n)).toBeLessThan(1e-3);
    }
    // Only the plan's labels; the organ survives the coarse grid (the small lesion may not).
    const allowed = new Set(plan.labels.map((l) => l.value));
    expect([...new Set(c.label.data)].every((v) => allowed.has(v))).toBe(true);
    expect(c.label.data.includes(1)).toBe(true);
  });

  it('fills patch, batch and network settings from the plan; the config wins where it sets them, with a note', () => {
    const accepts = (): boolean => true;
    const filled = applyPlan({ ...base, network: { name: 'unet3d' } }, planPath, plan, accepts);
    expect(filled.config.patchSize).toEqual([16, 16, 8]);
    expect(filled.config.batchSize).toBe(1);
    expect((filled.config.network as { options: Record<string, unknown> }).options.strides).toEqual(plan.network.strides);
    expect(filled.notes).toEqual([]);
    const own = applyPlan({ ...base, network: { name: 'unet3d', options: { depth: 1 } }, batchSize: 2 }, planPath, plan, () => false);
    expect(own.config.batchSize).toBe(2);
    expect(own.notes.join('\n')).toMatch(/batchSize: the config's 2 wins over the plan's 1/);
    expect(own.notes.join('\n')).toMatch(/network.options.depth: the config's 1 wins/);
    expect(own.notes.join('\n')).toMatch(/network.options.strides: unet3d does not accept/);
    expect((own.config.network as { options: Record<string, unknown> }).options.strides).toBeUndefined();
  });

  it('loads the training data on the target grid and trains a few iterations', async () => {
    const config = { ...base, network: { name: 'unet3d', options: { depth: 1, baseFilters: 2 } }, patchSize: [16, 16, 8], batchSize: 1, plan: planPath };
    const data = await loadTrainingData(config as never, dir);
    for (const c of [...data.train, ...data.validation]) expectNearTarget(c.image.spacing);
    const out = join(dir, 'run');
    const r = await train(config, { outDir: out });
    expect(r.iterations).toBe(3);
    expect(Number.isFinite(r.lastLoss)).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).plan).toBe(planPath);
    // result.json: validation Dice per structure under dataset.json's names; the headline is their mean
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
    const names = [...loadDecathlon(dataset).labels.entries()].filter(([v]) => v > 0).map(([, n]) => n);
    expect(Object.keys(result.validationDicePerStructure)).toEqual(names);
    const finite = Object.values(result.validationDicePerStructure as Record<string, number | null>).filter((v): v is number => v !== null);
    if (finite.length > 0) expect(result.validationDice).toBeCloseTo(finite.reduce((a, b) => a + b, 0) / finite.length, 10);
    expect(result.testDicePerStructure).toEqual({});
    const card = JSON.parse(readFileSync(join(out, 'model', 'gendice.json'), 'utf8'));
    expect(card.normalization).toBe('none');
    expect(card.preprocessing.targetSpacing).toEqual(plan.targetSpacing);
    expect(card.preprocessing.normalization).toEqual(plan.normalization.map(({ modality: _m, ...n }) => n));

    // predict: on the training grid, written back on each source grid (oblique, anisotropic, not RAS)
    const predicted = await predictFiles(r.modelDir, join(dataset, 'imagesTr'), join(dir, 'pred'));
    expect(predicted).toHaveLength(3);
    let oblique = false;
    for (const p of predicted) {
      const source = await readNifti(p.input);
      // 4×4 row-major: any off-diagonal entry of the 3×3 part means an oblique (or permuted) grid
      oblique ||= [1, 2, 4, 6, 8, 9].some((i) => Math.abs(source.affine[i]!) > 1e-6);
      const labels = await readNifti(p.labels);
      expect(labels.shape).toEqual(source.shape);
      expect(labels.channels).toBe(1);
      labels.affine.forEach((v, i) => expect(v).toBeCloseTo(source.affine[i]!, 5));
      expect([...new Set(labels.data)].every((v) => v >= 0 && v < card.classes)).toBe(true);
    }
    expect(oblique).toBe(true);
  });

  it('gendice plan writes a commented train.yaml that parses as a training config as is', () => {
    const path = join(dataset, 'train.yaml');
    const text = readFileSync(path, 'utf8');
    expect(text.split('\n').filter((l) => /^\s*#/.test(l)).length).toBeGreaterThan(10);
    const config = parseTrainingConfig(readJsonOrYaml(path), path);
    expect(config.plan).toBe('plan.json');
    expect(config.patchSize).toEqual(plan.patchSize);
    expect(config.batchSize).toBe(plan.batchSize);
    expect(config.network.name).toBe(plan.network.name);
    expect(config.data).toMatchObject({ dataset: '.' });
  });

  it('refuses a plan with synthetic data and a file that is not a plan', async () => {
    writeFileSync(join(dir, 'bad.json'), '{"version":1}');
    expect(() => readPlanFile(join(dir, 'bad.json'))).toThrow(/readPlanFile: .*bad.json is not a gendice plan \(no 'targetSpacing'\)/);
    const synthetic = { ...base, plan: planPath, data: { synthetic: { dims: 3, foregroundFraction: 0.01 } } };
    await expect(loadTrainingData(synthetic as never, dir)).rejects.toThrow(/loadTrainingData: plan .* needs a dataset folder/);
  });
});
