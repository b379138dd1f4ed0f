import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readStudy, writeTrialRecord } from '../../src/study/node/index.js';
import { gendice, gendiceAsync } from '../cli/run.js';

const dir = mkdtempSync(join(tmpdir(), 'gendice-study-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = join(dir, 'study.json');
writeFileSync(
  config,
  JSON.stringify({
    name: 'tiny',
    data: { synthetic: { dims: 2, cases: 5, size: 32, foregroundFraction: 0.03, lesionShape: 'blobs' }, validationFraction: 0.2, testFraction: 0.2 },
    networks: [{ name: 'unet2d', options: { depth: 2, baseFilters: 4 }, patches: [{ patchSize: [16, 16], batchSize: 2 }, { patchSize: [32, 32], batchSize: 1 }] }],
    losses: [{ name: 'gdl' }, { name: 'dl2' }],
    learningRates: [0.01],
    seeds: [1, 2],
    iterations: 30,
    scoreWindow: 10,
  }),
);

const records = (out: string): number => (existsSync(join(out, 'trials')) ? readdirSync(join(out, 'trials')).filter((t) => existsSync(join(out, 'trials', t, 'trial.json'))).length : 0);

describe('gendice study', () => {
  it('an interrupted study resumes: finished trials are skipped, the rest run, every trial ends with a record', async () => {
    const out = join(dir, 'out');
    const child = gendiceAsync(['study', '--config', config, '--out', out, '--workers', '2']);
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    const t0 = Date.now();
    while (records(out) < 2 && Date.now() - t0 < 120_000) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    await exited;
    const before = records(out);
    expect(before).toBeGreaterThanOrEqual(2);
    expect(before).toBeLessThan(8);

    const r = gendice(['study', '--config', config, '--out', out, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as { total: number; skipped: number; ran: number };
    expect(summary.total).toBe(8);
    expect(summary.skipped).toBe(before);
    expect(summary.ran).toBe(8 - before);
    const study = readStudy(out);
    expect(study.trials.every((t) => t.record?.status === 'done')).toBe(true);
    for (const t of study.trials) {
      const rec = t.record!;
      expect(rec.score).toBeGreaterThanOrEqual(0);
      expect(rec.foregroundFraction!.median).toBeGreaterThan(0);
      expect(rec.testDice).toHaveLength(1);
      expect(rec.curve[rec.curve.length - 1]!.iteration).toBe(30);
    }
    // Bigger patches under foreground-only sampling: lower foreground fraction (more imbalance).
    const fg = (p: number) => study.trials.filter((t) => t.parameters.patchSize[0] === p).map((t) => t.record!.foregroundFraction!.median);
    expect(Math.max(...fg(32))).toBeLessThan(Math.min(...fg(16)));

    const again = gendice(['study', '--config', config, '--out', out, '--json']);
    expect((JSON.parse(again.stdout) as { ran: number }).ran).toBe(0);
  });

  it('a damaged record (or one of a failed trial) is named on stderr, kept aside, and its trial runs again', () => {
    const out = join(dir, 'out');
    const [a, b, c] = readStudy(out).trials;
    const path = (id: string): string => join(out, 'trials', id, 'trial.json');
    writeFileSync(path(a!.id), '{}');
    writeFileSync(path(b!.id), readFileSync(path(c!.id))); // another trial's record
    writeTrialRecord(out, { ...c!.record!, status: 'failed', score: null, foregroundFraction: null, error: 'out of memory' });
    const r = gendice(['study', '--config', config, '--out', out, '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { ran: number; setAside: number }).ran).toBe(3);
    expect(r.stderr).toContain(`${path(a!.id)}: invalid trial record\n  network: `);
    expect(r.stderr).toContain(`${path(b!.id)}: id is '${c!.id}', not its folder's '${b!.id}'`);
    expect(r.stderr).toContain(`${path(c!.id)}: the trial failed (out of memory)`);
    const aside = (id: string, why: string): string[] => readdirSync(join(out, 'trials', id)).filter((f) => f.startsWith(`trial.json.${why}-`));
    expect(aside(a!.id, 'rejected')).toHaveLength(1);
    expect(readFileSync(join(out, 'trials', a!.id, aside(a!.id, 'rejected')[0]!), 'utf8')).toBe('{}');
    expect(aside(b!.id, 'rejected')).toHaveLength(1);
    expect(aside(c!.id, 'failed')).toHaveLength(1);
    expect(readStudy(out).trials.every((t) => t.record?.status === 'done' && t.problem === undefined)).toBe(true);
  });

  it('refuses to mix two different studies in one folder, and bad flags', () => {
    const out = join(dir, 'out');
    const r = gendice(['study', '--preset', 'quick', '--out', out]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/already holds a different study \('tiny'\)/);
    const both = gendice(['study', '--preset', 'quick', '--config', config, '--out', out]);
    expect(both.stderr).toMatch(/give exactly one of --preset NAME or --config FILE/);
  });
});
