import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** Helpers of the queue tests: a throw-away redis-server, gendice processes with their stderr, the records of a study folder. */

const root = join(import.meta.dirname, '..', '..');
const main = join(root, 'src', 'cli', 'main.ts');

export function redisServerAvailable(): boolean {
  return spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).status === 0;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('freePort: no port'))));
    });
  });
}

export interface RedisServer {
  port: number;
  url: string;
  process: ChildProcess;
  /** SIGKILL, and waits for the exit: everything it held is gone (no persistence). */
  kill(): Promise<void>;
}

/** Starts `redis-server` on 127.0.0.1:`port` without persistence and waits until it accepts connections. */
export async function startRedis(port: number): Promise<RedisServer> {
  const child = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`startRedis: redis-server on port ${port} not ready after 10 s:\n${out}`)), 10_000);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`startRedis: redis-server exited with code ${String(code)}:\n${out}`));
    });
  });
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    process: child,
    kill: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

export interface Gendice {
  process: ChildProcess;
  stderr(): string;
  stdout(): string;
  /** Resolves with the exit code (null after a signal). */
  exited: Promise<number | null>;
}

/** Starts `gendice ...args` from the sources (tsx as a loader, so a SIGKILL reaches the process itself). */
export function startGendice(args: string[], env: NodeJS.ProcessEnv = {}): Gendice {
  const child = spawn(process.execPath, ['--import', 'tsx', main, ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { process: child, stderr: () => stderr, stdout: () => stdout, exited };
}

/** Waits until `condition()` holds, polling every 50 ms; throws naming `what` after `timeoutMs`. */
export async function waitFor(what: string, condition: () => boolean, timeoutMs = 90_000): Promise<void> {
  const t0 = Date.now();
  while (!condition()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`waitFor: ${what} did not happen within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The trial records a study folder holds, by trial id (raw JSON, as written). */
export function recordFiles(dir: string): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  const trials = join(dir, 'trials');
  if (!existsSync(trials)) return out;
  for (const id of readdirSync(trials)) {
    const path = join(trials, id, 'trial.json');
    if (existsSync(path)) out.set(id, JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>);
  }
  return out;
}

/** A record without the fields that differ between runs of the same trial: timings, host, finish time (and the checksum over them). */
export function comparable(record: Record<string, unknown>): Record<string, unknown> {
  const { seconds: _s, host: _h, finishedAt: _f, checksum: _c, ...rest } = record;
  return rest;
}
