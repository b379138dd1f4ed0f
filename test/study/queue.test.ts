import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openRedis, parseRedisUrl, redisLabel } from '../../src/study/node/queue/redisConnection.js';
import { gendice } from '../cli/run.js';
import { comparable, freePort, recordFiles, redisServerAvailable, startGendice, startRedis, waitFor, type Gendice, type RedisServer } from './queueProcesses.js';

// Studies through a Redis queue: a real redis-server on a free loopback port, started here without persistence,
// `gendice study --queue` as the coordinator and `gendice worker` processes, killed and restarted as in a lab.
const hasRedis = redisServerAvailable();
if (!hasRedis && process.env.CI === undefined) process.stderr.write('test/study/queue.test.ts: skipped: redis-server is not installed (apt-get install redis-server; scripts/setup-system.sh does it)\n');

const dir = mkdtempSync(join(tmpdir(), 'gendice-queue-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const config = join(dir, 'study.json');
writeFileSync(
  config,
  JSON.stringify({
    name: 'tiny-queue',
    data: { synthetic: { dims: 2, cases: 5, size: 32, foregroundFraction: 0.03, lesionShape: 'blobs' }, validationFraction: 0.2, testFraction: 0.2 },
    networks: [{ name: 'unet2d', options: { depth: 2, baseFilters: 4 }, patches: [{ patchSize: [16, 16], batchSize: 2 }] }],
    losses: [{ name: 'gdl' }, { name: 'dl2' }],
    learningRates: [0.01],
    seeds: [1, 2],
    iterations: 20,
    scoreWindow: 10,
  }),
);
const TRIALS = 4;

// Two workers share this machine's cores: one OpenMP thread per trial, as in the local run with two workers
// (the same trial with 1 and 2 threads differs in the last bits of its loss).
const workerEnv = { OMP_NUM_THREADS: '1' };
// Short locks, so that a killed worker's trial is taken again within about 7 s. Not shorter: on a loaded
// machine (load average 10 on 2 cores) a 2 s lock expired under a live worker, twice, and failed its trial.
const lockFlags = ['--lock-duration', '5000', '--stalled-interval', '2000'];

let processes: Gendice[] = [];
let redis: RedisServer | undefined;
afterEach(async () => {
  for (const p of processes) if (p.process.exitCode === null && p.process.signalCode === null) p.process.kill('SIGKILL');
  await Promise.all(processes.map((p) => p.exited));
  processes = [];
  await redis?.kill();
  redis = undefined;
});

function worker(name: string, concurrency = 1, extra: string[] = []): Gendice {
  const w = startGendice(['worker', '--queue', redis!.url, '--concurrency', String(concurrency), '--work', join(dir, name), ...lockFlags, ...extra], workerEnv);
  processes.push(w);
  return w;
}

function coordinator(out: string): Gendice {
  const c = startGendice(['study', '--config', config, '--out', join(dir, out), '--queue', redis!.url, '--json']);
  processes.push(c);
  return c;
}

const started = (w: Gendice): string[] => [...w.stderr().matchAll(/: start (\S+) /g)].map((m) => m[1]!);
const doneLines = (c: Gendice): string[] => [...c.stderr().matchAll(/^study tiny-queue: \d+\/\d+ (\S+) (done|diverged|failed)/gm)].map((m) => m[1]!);

let local: Map<string, Record<string, unknown>>;

/** Every trial recorded exactly once (one record file, one "done" line), each equal to the local run's record. */
function expectLocalRecords(out: string, lines: string[]): void {
  const records = recordFiles(join(dir, out));
  expect([...records.keys()].sort()).toEqual([...local.keys()].sort());
  expect([...lines].sort()).toEqual([...local.keys()].sort());
  for (const [id, record] of records) {
    expect(record.host, id).toEqual(expect.any(String));
    expect(comparable(record), id).toEqual(comparable(local.get(id)!));
  }
}

describe.runIf(hasRedis)('gendice study --queue with gendice worker', () => {
  beforeAll(() => {
    const r = gendice(['study', '--config', config, '--out', join(dir, 'local'), '--workers', '2']);
    expect(r.status, r.stderr).toBe(0);
    local = recordFiles(join(dir, 'local'));
    expect(local.size).toBe(TRIALS);
  });

  it('a coordinator and two workers record every trial once, equal to the local run; models stay in --work or go to --artifacts; SIGTERM stops the workers', async () => {
    redis = await startRedis(await freePort());
    const shared = join(dir, 'shared');
    const workers = [worker('w1'), worker('w2', 1, ['--artifacts', shared])];
    const c = coordinator('two-workers');
    expect(await c.exited, c.stderr()).toBe(0);
    expect(JSON.parse(c.stdout())).toMatchObject({ total: TRIALS, skipped: 0, ran: TRIALS, failed: 0, interrupted: false });
    expect(c.stderr()).toMatch(/\d\/4 done, [12] running, \d queued, 0 failed/);
    expectLocalRecords('two-workers', doneLines(c));
    expect(started(workers[0]!).length + started(workers[1]!).length).toBe(TRIALS);
    expect(started(workers[0]!).length).toBeGreaterThan(0);
    expect(started(workers[1]!).length).toBeGreaterThan(0);
    // Each trial trained (model, log) in its worker's folder: w1's --work, w2's --artifacts; w2's --work stays empty.
    const trained = (root: string, id: string): boolean => readdirSync(root).some((key) => existsSync(join(root, key, 'trials', id, 'model', 'model.json')));
    for (const id of started(workers[0]!)) expect(trained(join(dir, 'w1'), id), id).toBe(true);
    for (const id of started(workers[1]!)) expect(trained(shared, id), id).toBe(true);
    expect(existsSync(join(dir, 'w2'))).toBe(false);
    for (const w of workers) w.process.kill('SIGTERM');
    for (const w of workers) {
      expect(await w.exited, w.stderr()).toBe(0);
      expect(w.stderr()).toMatch(/SIGTERM: handing the running trials back and stopping\n(.|\n)*stopped/);
    }
  });

  it('a worker killed with -9 mid-trial loses only that trial; one stopped with SIGTERM hands its trials back; other workers run them', async () => {
    redis = await startRedis(await freePort());
    const a = worker('wa');
    const c = coordinator('killed-worker');
    await waitFor('worker a starting a trial', () => started(a).length > 0);
    await new Promise((r) => setTimeout(r, 300));
    a.process.kill('SIGKILL');
    await a.exited;
    const lostTrial = started(a).at(-1)!;
    const b = worker('wb', 2);
    await waitFor('worker b starting a trial', () => started(b).length > 0);
    b.process.kill('SIGTERM');
    expect(await b.exited, b.stderr()).toBe(0);
    const handedBack = /stopped; handed back (.+)\n/.exec(b.stderr())?.[1]?.split(', ') ?? [];
    expect(handedBack.length, b.stderr()).toBeGreaterThan(0);
    const d = worker('wd2', 2);
    expect(await c.exited, c.stderr()).toBe(0);
    for (const id of [lostTrial, ...handedBack]) expect(started(d), id).toContain(id);
    expectLocalRecords('killed-worker', doneLines(c));
  });

  it('a coordinator killed with -9 and re-run collects what the workers finished meanwhile, without queueing a trial twice', async () => {
    redis = await startRedis(await freePort());
    const w = worker('wc', 2);
    const first = coordinator('killed-coordinator');
    await waitFor('a first record', () => recordFiles(join(dir, 'killed-coordinator')).size >= 1);
    first.process.kill('SIGKILL');
    await first.exited;
    const recordedBefore = [...recordFiles(join(dir, 'killed-coordinator')).keys()];
    const before = recordedBefore.length;
    await waitFor('the worker finishing every trial', () => (w.stderr().match(/: done /g) ?? []).length === TRIALS);
    expect(recordFiles(join(dir, 'killed-coordinator')).size).toBe(before);
    const again = coordinator('killed-coordinator');
    expect(await again.exited, again.stderr()).toBe(0);
    expect(JSON.parse(again.stdout())).toMatchObject({ total: TRIALS, skipped: before, ran: TRIALS - before, failed: 0 });
    expect(started(w)).toHaveLength(TRIALS);
    // The kill can fall between a record's write and its progress line, so the first run's lines are some
    // of what it recorded; with the re-run's, every trial is there exactly once.
    expect(recordedBefore).toEqual(expect.arrayContaining(doneLines(first)));
    expectLocalRecords('killed-coordinator', [...recordedBefore, ...doneLines(again)]);
  });

  it('Ctrl-C stops the coordinator waiting (exit 130) and leaves the trials queued', async () => {
    redis = await startRedis(await freePort());
    const c = coordinator('ctrl-c');
    await waitFor('the trials queued', () => c.stderr().includes('0/4 done, 0 running, 4 queued, 0 failed'));
    c.process.kill('SIGINT');
    expect(await c.exited, c.stderr()).toBe(130);
    expect(c.stderr()).toMatch(/SIGINT: stopped waiting; queued and running trials go on in the workers, re-run this command to collect them/);
    expect(JSON.parse(c.stdout())).toMatchObject({ total: TRIALS, ran: 0, interrupted: true });
    const counts = startGendice(['study', '--config', config, '--out', join(dir, 'ctrl-c'), '--queue', redis.url]);
    processes.push(counts);
    await waitFor('a second coordinator finding the 4 jobs still queued', () => counts.stderr().includes('0/4 done, 0 running, 4 queued, 0 failed'));
    counts.process.kill('SIGINT');
    expect(await counts.exited).toBe(130);
  });

  it('Redis restarted mid-study: the coordinator reports it, enqueues the lost trials again and completes', async () => {
    redis = await startRedis(await freePort());
    worker('wd', 2);
    const c = coordinator('redis-restart');
    await waitFor('a first record', () => recordFiles(join(dir, 'redis-restart')).size >= 1);
    await redis.kill();
    await new Promise((r) => setTimeout(r, 1000));
    redis = await startRedis(redis.port);
    expect(await c.exited, c.stderr()).toBe(0);
    expect(c.stderr()).toMatch(/lost Redis at redis:\/\/127\.0\.0\.1:\d+\/? \(.*\); waiting for it/);
    expect(c.stderr()).toMatch(/Redis at .* is back/);
    expect(c.stderr()).toMatch(/trial\(s\) vanished from Redis \(restarted without persistence\?\); enqueued again/);
    expect((JSON.parse(c.stdout()) as { reEnqueued: number }).reEnqueued).toBeGreaterThan(0);
    expectLocalRecords('redis-restart', doneLines(c));
  });

  it('a trial whose worker is killed twice is recorded as failed with its cause; the study exits 1', async () => {
    redis = await startRedis(await freePort());
    const a = worker('we1');
    const c = coordinator('twice');
    await waitFor('worker 1 starting a trial', () => started(a).length > 0);
    const doomed = started(a)[0]!;
    a.process.kill('SIGKILL');
    await a.exited;
    const b = worker('we2');
    await waitFor(`worker 2 starting ${doomed}`, () => started(b).includes(doomed));
    b.process.kill('SIGKILL');
    await b.exited;
    worker('we3', 2);
    expect(await c.exited, c.stderr()).toBe(1);
    expect(JSON.parse(c.stdout())).toMatchObject({ total: TRIALS, ran: TRIALS, failed: 1 });
    const records = recordFiles(join(dir, 'twice'));
    expect(records.get(doomed)).toMatchObject({ status: 'failed', score: null, error: expect.stringMatching(/its worker died or lost Redis twice \(BullMQ: job stalled more than allowable limit\)/) });
    for (const [id, record] of records) if (id !== doomed) expect(comparable(record), id).toEqual(comparable(local.get(id)!));
  });

  it('refuses --workers with --queue, and names an unreachable Redis', async () => {
    const both = gendice(['study', '--config', config, '--out', join(dir, 'bad'), '--queue', 'redis://127.0.0.1:1', '--workers', '2']);
    expect(both.status).toBe(1);
    expect(both.stderr).toMatch(/study: --workers is for local runs; with --queue, start `gendice worker --concurrency N` on each machine/);
    const port = await freePort();
    await expect(openRedis('gendice worker', `redis://127.0.0.1:${port}`)).rejects.toThrow(
      new RegExp(`^gendice worker: Redis at redis://127\\.0\\.0\\.1:${port}/? did not answer within 5 s \\(connect ECONNREFUSED`),
    );
  });
});

describe('parseRedisUrl', () => {
  it.each([
    ['http://127.0.0.1:6379', /--queue must be a redis:\/\/ URL \(redis:\/\/HOST:PORT\); got 'http:\/\/127\.0\.0\.1:6379'/],
    ['127.0.0.1:6379', /--queue must be a redis:\/\/ URL/],
    ['redis://', /--queue names no host; got 'redis:\/\/'/],
  ])('refuses %s', (value, message) => {
    expect(() => parseRedisUrl('--queue', value)).toThrow(message);
  });
  it('accepts redis:// and rediss:// URLs, and hides a password in messages', () => {
    expect(parseRedisUrl('--queue', 'redis://10.0.0.5:6379')).toBe('redis://10.0.0.5:6379');
    expect(parseRedisUrl('--queue', 'rediss://user:secret@host:6380/2')).toBe('rediss://user:secret@host:6380/2');
    expect(redisLabel('rediss://user:secret@host:6380/2')).toBe('rediss://user:***@host:6380/2');
  });
});

describe.runIf(!hasRedis && process.env.CI !== undefined)('queue tests under CI', () => {
  it('need redis-server (scripts/setup-system.sh installs it)', () => {
    expect.fail('redis-server is not installed; CI must run the queue tests (apt-get install redis-server)');
  });
});
