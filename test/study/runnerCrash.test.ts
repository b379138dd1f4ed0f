import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expandGrid, parseStudyConfig, type StudyConfigInput } from '../../src/study/grid.js';
import { runStudy } from '../../src/study/node/runner.js';
import { readStudy, trialDir, trialRecordPath } from '../../src/study/node/store.js';
import { gendice, gendiceAsync } from '../cli/run.js';

const root = mkdtempSync(join(tmpdir(), 'gendice-crash-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const tiny = (over: Partial<StudyConfigInput> = {}): StudyConfigInput => ({
  name: 'crash',
  data: { synthetic: { dims: 2, cases: 4, size: 32, foregroundFraction: 0.03, lesionShape: 'blobs' }, validationFraction: 0.25, testFraction: 0.25 },
  networks: [{ name: 'unet2d', options: { depth: 2, baseFilters: 4 }, patches: [{ patchSize: [16, 16], batchSize: 2 }] }],
  losses: [{ name: 'gdl' }, { name: 'dl2' }],
  learningRates: [1e-2, 1e-3],
  seeds: [1],
  iterations: 60,
  scoreWindow: 10,
  ...over,
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('runStudy: a dead worker costs only its trial', () => {
  it('a worker killed mid-trial: the trial runs again in a fresh worker and the study completes', async () => {
    const config = parseStudyConfig(tiny());
    const dir = join(root, 'killed');
    const victim = expandGrid(config)[0]!.id;
    const starts: Array<{ id: string; pid: number | undefined; attempt: number }> = [];
    const crashes: Array<{ id: string; cause: string; retry: boolean }> = [];
    let killed: Promise<void> | undefined;
    const summary = await runStudy(config, dir, {
      workers: 2,
      onTrialStart: (id, _i, _n, worker) => {
        starts.push({ id, ...worker });
        if (id !== victim || worker.attempt !== 1) return;
        // Mid-trial: once the trial has logged training iterations.
        killed = (async () => {
          const log = join(trialDir(dir, id), 'log.jsonl');
          while (!existsSync(log) || readFileSync(log, 'utf8').split('\n').length < 3) await sleep(20);
          process.kill(worker.pid!, 'SIGKILL');
        })();
      },
      onTrialCrash: (id, cause, retry) => crashes.push({ id, cause, retry }),
    });
    await killed;
    expect(crashes).toHaveLength(1);
    expect(crashes[0]).toMatchObject({ id: victim, retry: true });
    expect(crashes[0]!.cause).toMatch(/^worker process \d+ was killed by signal SIGKILL/);
    const victimStarts = starts.filter((s) => s.id === victim);
    expect(victimStarts.map((s) => s.attempt)).toEqual([1, 2]);
    expect(victimStarts[1]!.pid).not.toBe(victimStarts[0]!.pid);
    expect(summary).toMatchObject({ total: 4, ran: 4, failed: 0, failures: [] });
    const study = readStudy(dir);
    expect(study.trials.map((t) => t.record?.status)).toEqual(['done', 'done', 'done', 'done']);
    expect(study.trials[0]!.record!.curve.at(-1)!.iteration).toBe(60);
  });

  it('a trial whose worker runs out of memory twice is recorded as failed with the cause (V8 fatal error on stderr)', async () => {
    const config = parseStudyConfig(tiny({ losses: [{ name: 'gdl' }], learningRates: [1e-2] }));
    const dir = join(root, 'oom');
    const summary = await runStudy(config, dir, { workers: 1, workerExecArgv: ['--max-old-space-size=12'], onTrialCrash: () => {} });
    expect(summary).toMatchObject({ ran: 1, failed: 1 });
    const record = readStudy(dir).trials[0]!.record!;
    expect(record.status).toBe('failed');
    expect(record.score).toBeNull();
    expect(record.error).toMatch(/^its worker process died in each of 2 attempts: \(1\) worker process \d+ was killed by signal SIGABRT; its last stderr lines:\n[^]*heap out of memory[^]*; \(2\) worker process \d+ /);
    expect(summary.failures).toEqual([{ id: record.id, error: record.error }]);
  });
});

describe('gendice study with crashing workers', () => {
  it('a trial that crashes twice is recorded failed, the others finish, and the study exits 1 with the cause on stderr', async () => {
    const file = join(root, 'crash.json');
    writeFileSync(file, JSON.stringify(tiny({ iterations: 20 })));
    const out = join(root, 'cli');
    const victim = expandGrid(parseStudyConfig(tiny({ iterations: 20 })))[0]!.id;
    const child = gendiceAsync(['study', '--config', file, '--out', out, '--workers', '2']);
    let stderr = '';
    const killedPids: number[] = [];
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const starts = [...stderr.matchAll(new RegExp(`(?:start|retry) \\[1/4\\] ${victim} \\(worker pid (\\d+)`, 'g'))].map((m) => Number(m[1]));
      for (const pid of starts.filter((p) => !killedPids.includes(p))) {
        killedPids.push(pid);
        process.kill(pid, 'SIGKILL');
      }
    });
    const status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    expect(killedPids).toHaveLength(2);
    expect(status, stderr).toBe(1);
    expect(stderr).toContain(`study crash: trial ${victim}: worker process ${killedPids[0]} was killed by signal SIGKILL (nothing on stderr)\n  running it again in a fresh worker`);
    expect(stderr).toMatch(new RegExp(`retry \\[1/4\\] ${victim} \\(worker pid ${killedPids[1]}, attempt 2\\)`));
    expect(stderr).toContain(`study crash: 1 trial(s) failed; they run again on the next 'gendice study' with the same --out:\n  ${victim}: its worker process died in each of 2 attempts: (1) worker process ${killedPids[0]} was killed by signal SIGKILL`);
    const study = readStudy(out);
    expect(study.trials.map((t) => t.record?.status)).toEqual(['failed', 'done', 'done', 'done']);
    expect(JSON.parse(readFileSync(trialRecordPath(out, victim), 'utf8'))).toMatchObject({ status: 'failed', score: null });
  });

  it('a study whose every trial fails exits 1 and names each failure\'s cause on stderr', () => {
    const file = join(root, 'fail.json');
    writeFileSync(file, JSON.stringify(tiny({ data: { dataset: join(root, 'no-such-dataset') }, losses: [{ name: 'gdl' }], learningRates: [1e-2] })));
    const out = join(root, 'fail');
    const r = gendice(['study', '--config', file, '--out', out, '--json']);
    expect(r.status).toBe(1);
    const summary = JSON.parse(r.stdout) as { failed: number; failures: Array<{ id: string; error: string }> };
    expect(summary.failed).toBe(1);
    expect(summary.failures[0]!.error).toMatch(/no-such-dataset/);
    expect(r.stderr).toContain(`study crash: 1 trial(s) failed; they run again on the next 'gendice study' with the same --out:\n  ${summary.failures[0]!.id}: ${summary.failures[0]!.error}`);
  });
});
