import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { registerReportCommand, type StudyReader } from '../../src/cli/report.js';
import { expandGrid, parseStudyConfig } from '../../src/study/grid.js';
import { openStudy, writeTrialRecord } from '../../src/study/node/store.js';
import type { StudyResults, TrialRecord } from '../../src/study/types.js';
import { makeStudy, paperLikeOutcome, UNET2D } from './reportFixture.js';

const dir = mkdtempSync(join(tmpdir(), 'gendice-report-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

/** Runs `gendice report ...args` in-process, capturing stdout and stderr. */
async function runReport(args: string[], read?: StudyReader): Promise<{ stdout: string; stderr: string }> {
  const program = new Command().exitOverride();
  if (read === undefined) registerReportCommand(program);
  else registerReportCommand(program, read);
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  try {
    await program.parseAsync(['node', 'gendice', 'report', ...args]);
  } finally {
    vi.restoreAllMocks();
  }
  return { stdout, stderr };
}

const small: StudyResults = makeStudy({ networks: [UNET2D], outcome: paperLikeOutcome, seeds: [1, 2], losses: ['dl2', 'gdl'] });

describe('gendice report', () => {
  it('--json prints exactly one JSON document {html, figures, findings}; logs go to stderr', async () => {
    const out = join(dir, 'fixture');
    const r = await runReport([out, '--json'], () => small);
    const doc = JSON.parse(r.stdout) as { html: string; figures: string[]; findings: Array<{ id: number; holds: string }> };
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(Object.keys(doc).sort()).toEqual(['figures', 'findings', 'html']);
    expect(doc.html).toBe(join(out, 'report', 'index.html'));
    expect(existsSync(doc.html)).toBe(true);
    expect(doc.figures).toHaveLength(4);
    expect(doc.findings.map((f) => f.id)).toEqual([1, 2, 3, 4, 5, 6]);
    // Only DL2 and GDL: GDL is the more robust of the two; no TwoPathCNN, no 3D.
    expect(doc.findings[1]!.holds).toBe('inconclusive');
    expect(r.stderr).toMatch(/gendice report: 36 trials in 'fixture'; rendering figures/);
  });

  it('prints the paths and one line per finding as text', async () => {
    const r = await runReport([join(dir, 'text')], () => small);
    expect(r.stdout).toMatch(/^report: .*index\.html\nfigures: 4 files\n/);
    expect(r.stdout.match(/^finding \d \[(yes|no|inconclusive)\]: /gm)).toHaveLength(6);
  });

  it('reads a study folder written by the results store (trials not run yet are pending)', async () => {
    const studyDir = join(dir, 'store');
    const config = parseStudyConfig({
      name: 'tiny',
      data: { synthetic: { dims: 2, cases: 4, foregroundFraction: 0.01 } },
      networks: [{ name: 'unet2d', patches: [{ patchSize: [16, 16], batchSize: 2 }, { patchSize: [32, 32], batchSize: 1 }] }],
      losses: [{ name: 'gdl' }, { name: 'dl2' }],
      learningRates: [1e-3, 1e-4],
      seeds: [1, 2],
      iterations: 10,
    });
    openStudy(studyDir, config);
    const grid = expandGrid(config);
    for (const [i, t] of grid.entries()) {
      if (i % 4 === 3) continue;
      const record: TrialRecord = {
        ...t.parameters,
        id: t.id,
        status: 'done',
        score: 0.5 + 0.01 * i,
        scoreWindow: 5,
        foregroundFraction: { mean: 0.01, median: 0.009 },
        validationDice: null,
        testDice: null,
        curve: [1, 5, 10].map((iteration) => ({ iteration, loss: 1 - iteration / 20, dice: iteration / 20 })),
        seconds: 1,
        engine: 'wasm',
        finishedAt: '2025-01-01T00:00:00.000Z',
      };
      writeTrialRecord(studyDir, record);
    }
    const r = await runReport([studyDir, '--json']);
    const doc = JSON.parse(r.stdout) as { html: string; figures: string[] };
    expect(doc.figures).toHaveLength(4);
    expect(r.stderr).toContain(`${grid.length} trials in 'tiny' (${grid.length / 4} not run yet, shown as pending)`);
  });

  it('fails with the store error on a folder that is not a study', async () => {
    await expect(runReport([join(dir, 'nothing-here')])).rejects.toThrow(/readStudy: .*nothing-here is not a study folder/);
  });

  it('refuses a bad --single-seed value', async () => {
    await expect(runReport([join(dir, 'x'), '--single-seed', 'maybe'], () => small)).rejects.toThrow(/--single-seed must be 'inconclusive' or 'point-estimate', got 'maybe'/);
  });
});
