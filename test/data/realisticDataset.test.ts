import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { registerSynthCommand } from '../../src/cli/synth.js';
import { writeRealisticDataset } from '../../src/data/node/realisticDataset.js';
import { fromTargetGrid, labelValues, orientationCodes, toTargetGrid } from '../../src/data/index.js';
import { readNifti, writeNifti } from '../../src/data/node/niftiFiles.js';
import { loadCase, loadDecathlon } from '../../src/data/node/dataset.js';

const dir = mkdtempSync(join(tmpdir(), 'gendice-realistic-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function synth(args: string[]): Promise<string> {
  const out: string[] = [];
  const so = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  const se = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    const p = new Command().name('gendice').exitOverride();
    registerSynthCommand(p);
    await p.parseAsync(['node', 'gendice', 'synth', ...args]);
    return out.join('');
  } finally {
    so.mockRestore();
    se.mockRestore();
  }
}

describe('gendice synth --realistic', () => {
  it('writes a Decathlon dataset with named modalities and labels; each case has its own geometry', async () => {
    const out = join(dir, 'cli');
    const stdout = await synth(['--realistic', '--cases', '3', '--seed', '7', '--out', out, '--json']);
    const report = JSON.parse(stdout);
    expect(stdout.trim().split('\n')).toHaveLength(1);
    expect(report.training).toHaveLength(3);
    const ds = loadDecathlon(out);
    expect(ds.modalities).toEqual(['T1', 'T2']);
    expect([...ds.labels.entries()]).toEqual([[0, 'background'], [1, 'organ'], [2, 'lesion']]);
    const loaded = await Promise.all(ds.training.map((entry) => loadCase(entry, { labels: [0, 1, 2] })));
    for (const [i, c] of loaded.entries()) {
      expect(c.image.channels).toBe(2);
      expect(orientationCodes(c.image.affine)).toBe(report.training[i].orientation);
      expect(c.image.shape).toEqual(report.training[i].shape);
      expect(labelValues(c.label!)).toEqual([0, 1, 2]);
    }
    expect(new Set(loaded.map((c) => c.image.shape.join('x'))).size).toBe(3);
    expect(readdirSync(join(out, 'imagesTr')).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('held-out cases go to imagesTs/labelsTs and the test list; bad counts are refused', async () => {
    const out = join(dir, 'lib');
    const report = await writeRealisticDataset({ out, cases: 1, testCases: 1, seed: 2 });
    expect(report.test.map((c) => c.image)).toEqual(['./imagesTs/realistic_001.nii.gz']);
    expect(loadDecathlon(out).test).toHaveLength(1);
    await expect(writeRealisticDataset({ out, cases: 0 })).rejects.toThrow('writeRealisticDataset: cases must be an integer in 1..10000, got 0');
  });

  it('a prediction written from the training grid reads back with the shape and affine of the source file', async () => {
    const out = join(dir, 'prediction');
    await writeRealisticDataset({ out, cases: 1, seed: 9 });
    const entry = loadDecathlon(out).training[0]!;
    const source = await loadCase(entry);
    const grid = toTargetGrid(source.image, source.label, [0.6, 0.6, 1.2]);
    const file = join(dir, 'prediction.nii.gz');
    await writeNifti(file, fromTargetGrid(grid.label!, grid.transform));
    const prediction = await readNifti(file);
    expect(prediction.shape).toEqual(source.image.shape);
    expect(prediction.affine).toEqual(source.image.affine);
    expect(labelValues(prediction)).toEqual([0, 1, 2]);
  });
});
