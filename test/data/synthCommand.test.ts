import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { registerSynthCommand } from '../../src/cli/synth.js';
import { readNifti } from '../../src/data/node/niftiFiles.js';

const dir = mkdtempSync(join(tmpdir(), 'gendice-synth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function program(errors: string[]): Command {
  const p = new Command().name('gendice').exitOverride();
  p.configureOutput({ writeErr: (s) => errors.push(s), writeOut: () => {} });
  registerSynthCommand(p);
  p.commands.forEach((c) => c.exitOverride().configureOutput({ writeErr: (s) => errors.push(s), writeOut: () => {} }));
  return p;
}

async function run(args: string[]): Promise<{ stdout: string; stderr: string; error?: Error }> {
  const out: string[] = [];
  const err: string[] = [];
  const so = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  const se = vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  try {
    await program(err).parseAsync(['node', 'gendice', ...args]);
    return { stdout: out.join(''), stderr: err.join('') };
  } catch (e) {
    return { stdout: out.join(''), stderr: err.join(''), error: e as Error };
  } finally {
    so.mockRestore();
    se.mockRestore();
  }
}

describe('gendice synth', () => {
  it('writes a Decathlon dataset and prints exactly one JSON document with --json', async () => {
    const out = join(dir, 'ds');
    const r = await run(['synth', '--dims', '3', '--cases', '2', '--size', '24', '--foreground', '0.002', '--seed', '4', '--out', out, '--json']);
    expect(r.error).toBeUndefined();
    const doc = JSON.parse(r.stdout);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(doc.cases).toHaveLength(2);
    expect(doc.requestedForegroundFraction).toBe(0.002);
    expect(Math.abs(doc.meanForegroundFraction - 0.002) / 0.002).toBeLessThan(0.1);
    expect(r.stderr).toMatch(/synth: case 2\/2/);
    // Not a terminal: whole lines, no carriage returns in a log.
    expect(r.stderr).not.toContain('\r');
    expect(existsSync(join(out, 'dataset.json'))).toBe(true);
    const label = await readNifti(join(out, 'labelsTr', 'phantom_001.nii.gz'));
    expect(label.shape).toEqual([24, 24, 24]);
    expect(label.datatype).toBe('uint8');
  });

  it('prints a readable summary without --json', async () => {
    const r = await run(['synth', '--dims', '2', '--cases', '1', '--size', '32', '--foreground', '0.05', '--out', join(dir, 'ds2')]);
    expect(r.error).toBeUndefined();
    expect(r.stdout).toMatch(/cases\s+1 \(2D, 32\^2/);
    expect(r.stdout).toMatch(/foreground\s+requested 0.05/);
  });

  it.each([
    [['--dims', '4'], /--dims <n>.*'4'.*must be an integer in \[2, 3\]; got '4'/s],
    [['--foreground', '2'], /--foreground <fraction>.*'2'.*must be a finite number in \[0.0001, 0.5\]; got '2'/s],
    [['--cases', 'many'], /--cases <n>.*'many'.*must be an integer in \[1, 100000\]; got 'many'/s],
    [['--shape', 'blob'], /--shape <shape>.*'blob'.*must be one of 'blobs', 'elongated', 'punctate', 'mixed'; got 'blob' \(did you mean 'blobs'\?\)/s],
  ])('names the flag and value of %j', async (flags, pattern) => {
    const r = await run(['synth', '--out', join(dir, 'never'), ...flags]);
    expect(r.error).toBeDefined();
    expect(`${r.error!.message}\n${r.stderr}`).toMatch(pattern);
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });

  it('refuses a fraction below one voxel, naming the flags', async () => {
    const r = await run(['synth', '--dims', '2', '--size', '16', '--foreground', '0.0001', '--out', join(dir, 'never')]);
    expect(r.error?.message).toMatch(/synth: --foreground 0.0001 of 256 voxels \(--size 16, --dims 2\) is less than one voxel/);
  });
});
