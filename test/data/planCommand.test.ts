import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerPlanCommand } from '../../src/cli/plan.js';
import { writeRealisticDataset } from '../../src/data/node/realisticDataset.js';

const dir = mkdtempSync(join(tmpdir(), 'gendice-plan-'));
const dataset = join(dir, 'ds');
beforeAll(async () => {
  await writeRealisticDataset({ out: dataset, cases: 3, seed: 5 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function plan(args: string[]): Promise<{ stdout: string; error?: Error }> {
  const out: string[] = [];
  const so = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  const se = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    const p = new Command().name('gendice').exitOverride().configureOutput({ writeErr: () => {} });
    registerPlanCommand(p);
    p.commands.forEach((c) => c.exitOverride().configureOutput({ writeErr: () => {} }));
    await p.parseAsync(['node', 'gendice', 'plan', ...args]);
    return { stdout: out.join('') };
  } catch (e) {
    return { stdout: out.join(''), error: e as Error };
  } finally {
    so.mockRestore();
    se.mockRestore();
  }
}

describe('gendice plan', () => {
  it('prints the fingerprint as tables and writes fingerprint.json and plan.json', async () => {
    const r = await plan([dataset]);
    expect(r.error).toBeUndefined();
    expect(r.stdout).toMatch(/^dataset {2}gendice-realistic: 3 cases, 3D, modalities T1, T2/);
    expect(r.stdout).toMatch(/realistic_002 +[A-Z]{3} +\d+×\d+×\d+ +[\d.]+×[\d.]+×[\d.]+ +0\.\d\d/);
    expect(r.stdout).toMatch(/^T2 +\d+ +[\d.]+/m);
    expect(r.stdout).toMatch(/^2 +lesion +\d+ +[\d.]+ % +3$/m);
    expect(r.stdout).toMatch(/^network +unet3d, depth \d, strides 221 /m);
    const fingerprint = JSON.parse(readFileSync(join(dataset, 'fingerprint.json'), 'utf8'));
    const written = JSON.parse(readFileSync(join(dataset, 'plan.json'), 'utf8'));
    expect(fingerprint.cases).toHaveLength(3);
    expect(fingerprint.modalities).toEqual(['T1', 'T2']);
    expect(written.normalization.map((n: { modality: string }) => n.modality)).toEqual(['T1', 'T2']);
    expect(written.targetSpacing[2]).toBeGreaterThan(2 * written.targetSpacing[0]);
    expect(readdirSync(dataset).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('--json prints one document; overrides reach the plan; --out chooses the folder', async () => {
    const out = join(dir, 'plans');
    const r = await plan([dataset, '--json', '--out', out, '--patch', '32,32,8', '--batch', '3', '--normalization', 'zscore-nonzero,none', '--target-spacing', '1,1,2']);
    expect(r.error).toBeUndefined();
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.plan.patchSize).toEqual([32, 32, 8]);
    expect(doc.plan.batchSize).toBe(3);
    expect(doc.plan.targetSpacing).toEqual([1, 1, 2]);
    expect(doc.plan.normalization.map((n: { scheme: string }) => n.scheme)).toEqual(['zscore-nonzero', 'none']);
    expect(existsSync(join(out, 'plan.json'))).toBe(true);
  });

  it('refuses bad flag values, naming the flag', async () => {
    expect((await plan([dataset, '--patch', '32,0,8'])).error?.message).toMatch(/--patch must be positive integers separated by commas \(e\.g\. 1,1,3\), got '32,0,8'/);
    expect((await plan([dataset, '--normalization', 'zscore,cta'])).error?.message).toMatch(/--normalization: each entry must be one of zscore, zscore-nonzero, ct, none, got 'cta'/);
    expect((await plan([join(dir, 'missing')])).error?.message).toMatch(/loadDecathlon: .*missing\/dataset\.json not found/);
  });
});
