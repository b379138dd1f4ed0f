import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { outputArrayTuning, uninitialisedFloat32 } from '../../src/engine/outputArrays.js';
import { loadAddon } from '../../src/engine/node/addon.js';

const root = join(import.meta.dirname, '..', '..');

// Whether every kernel that takes these arrays writes all of its output is checked by running the whole
// engine suite with GENDICE_POISON_OUTPUTS=1 (`npm run test:poison`, part of `npm test`): a missed element
// is NaN then and fails the comparisons with TF.js's kernels. This file checks the arrays themselves.
describe('uninitialisedFloat32', () => {
  it('gives a Float32Array of exactly n elements that owns its buffer, small or large', () => {
    for (const n of [0, 1, 1000, 16383, 16384, 1 << 20]) {
      const a = uninitialisedFloat32(n);
      expect(a).toBeInstanceOf(Float32Array);
      expect(a.length).toBe(n);
      expect(a.byteOffset).toBe(0);
      expect(a.buffer.byteLength).toBe(n * 4);
      a.fill(3);
      expect(a[n - 1] ?? 3).toBe(3);
    }
  });

  // Under GENDICE_POISON_OUTPUTS=1 (npm run test:poison) every array is NaN instead, checked below.
  it.skipIf(process.env.GENDICE_POISON_OUTPUTS === '1')('is zero-filled below 64 KB and when switched off', () => {
    expect(uninitialisedFloat32(100).every((v) => v === 0)).toBe(true);
    outputArrayTuning.uninitialised = false;
    try {
      for (let i = 0; i < 4; i++) {
        // Dirty the heap, then ask again: a zero-filled array must come back zero.
        uninitialisedFloat32(1 << 18).fill(7);
        expect(uninitialisedFloat32(1 << 18).every((v) => v === 0)).toBe(true);
      }
    } finally {
      outputArrayTuning.uninitialised = true;
    }
  });

  it('is NaN everywhere under GENDICE_POISON_OUTPUTS=1, so that a missed element shows', () => {
    const script = `import { uninitialisedFloat32 } from './src/engine/outputArrays.ts';
const counts = [10, 1 << 18].map((n) => uninitialisedFloat32(n).filter((v) => Number.isNaN(v)).length);
console.log(JSON.stringify(counts));`;
    const run = (env: Record<string, string>) =>
      spawnSync(process.execPath, [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), '--input-type=module', '-e', script], {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, GENDICE_POISON_OUTPUTS: '', ...env },
      });
    const poisoned = run({ GENDICE_POISON_OUTPUTS: '1' });
    expect(poisoned.stderr).toBe('');
    expect(JSON.parse(poisoned.stdout.trim())).toEqual([10, 1 << 18]);
    const plain = run({});
    expect(JSON.parse(plain.stdout.trim())[0]).toBe(0);
  });
});

const addon = loadAddon();
const retains = addon.ok && typeof addon.addon.retainFreedMemory === 'function';

// The native engine asks glibc to keep freed memory (retainFreedMemory in native/src/convolution.cc): a
// large array allocated again after one was freed then reuses its pages instead of faulting in fresh ones.
describe.skipIf(!retains)('retainFreedMemory', () => {
  const faultsPerRound = (retain: boolean): number[] => {
    const script = `const addon = require(${JSON.stringify(addon.ok ? addon.path : '')});
const kept = ${retain} ? addon.retainFreedMemory() : true;
const rounds = [];
(async () => {
for (let i = 0; i < 6; i++) {
  const before = process.resourceUsage().minorPageFault;
  const b = Buffer.allocUnsafeSlow(64 * 2 ** 20);
  b.fill(i + 1);
  rounds.push(process.resourceUsage().minorPageFault - before);
  globalThis.gc();
  // V8 frees an ArrayBuffer's memory after the collection, from its sweeper: let it run.
  await new Promise((resolve) => setTimeout(resolve, 20));
  globalThis.gc();
}
console.log(JSON.stringify(kept ? rounds : null));
})();`;
    const r = spawnSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    return JSON.parse(r.stdout.trim()) as number[];
  };

  it('makes a second 64 MB array reuse the first one\'s pages; without it every array faults its pages in', () => {
    const retained = faultsPerRound(true);
    const fresh = faultsPerRound(false);
    // 64 MB is 16,384 pages of 4 KB (fewer with transparent huge pages): the first round faults them in.
    expect(Math.max(...retained.slice(2))).toBeLessThan(200);
    expect(Math.min(...fresh.slice(2))).toBeGreaterThan(5 * Math.max(...retained.slice(2)) + 20);
  });
});
