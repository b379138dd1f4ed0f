import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { WASM_THREADS_ENV, wasmThreadCount } from '../../src/engine/node/wasmThreads.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Runs wasmThreadsChild.ts with GENDICE_WASM_THREADS = threads; it must end by itself within the timeout. */
function child(threads: string): { threads: number; kernelHelpers: number; digest: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, 'wasmThreadsChild.ts')], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, [WASM_THREADS_ENV]: threads, GENDICE_ENGINE: '' },
  });
  expect(r.error, 'the child did not end by itself').toBeUndefined();
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { threads: number; kernelHelpers: number; digest: string };
}

describe('the wasm engine on several threads (Node)', () => {
  it('runs XNNPACK and gendice\'s wasm kernels on the requested threads with the same results as on one, and the process still ends by itself', () => {
    const one = child('1');
    const two = child('2');
    const three = child('3');
    expect(one.threads).toBe(1);
    expect(two.threads).toBe(2);
    expect(three.threads).toBe(3);
    // gendice's wasm kernels run on as many threads, their helpers over the same heap
    expect([one.kernelHelpers, two.kernelHelpers, three.kernelHelpers]).toEqual([0, 1, 2]);
    expect(two.digest).toBe(one.digest);
    expect(three.digest).toBe(one.digest);
  }, 400_000);

  it('takes its thread count from GENDICE_WASM_THREADS, and names the variable and the value when it is bad', () => {
    expect(wasmThreadCount({ [WASM_THREADS_ENV]: '3' })).toBe(3);
    expect(wasmThreadCount({})).toBeGreaterThanOrEqual(1);
    expect(wasmThreadCount({})).toBeLessThanOrEqual(8);
    for (const bad of ['0', '9', '1.5', 'two', '-1']) {
      expect(() => wasmThreadCount({ [WASM_THREADS_ENV]: bad })).toThrow(new RegExp(`${WASM_THREADS_ENV} must be a whole number from 1 to 8.*'${bad}'`));
    }
  });
});
