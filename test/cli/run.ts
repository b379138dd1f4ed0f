import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const main = join(root, 'src', 'cli', 'main.ts');
// tsx as a loader inside one process (its CLI wrapper would run a second process that a SIGKILL cannot reach).
const loader = ['--import', 'tsx'];

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `gendice ...args` from the sources (through tsx) and waits for it. */
export function gendice(args: string[], env: NodeJS.ProcessEnv = {}): CliResult {
  const r = spawnSync(process.execPath, [...loader, main, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 300_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts `gendice ...args` without waiting. */
export function gendiceAsync(args: string[]): ChildProcess {
  return spawn(process.execPath, [...loader, main, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
}
