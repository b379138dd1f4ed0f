import { expect } from 'vitest';
import { bundle, openModulePage, type BrowserPage } from './chromium.js';

/** What pages/equivalence.ts puts on `globalThis.gendiceTest`. */
export interface Comparison {
  name: string;
  /** Per compared tensor: its name, max |webgl − cpu|, max |cpu|, number of values. */
  tensors: { name: string; maxDiff: number; maxAbs: number; size: number }[];
  leakedCpu: number;
  leakedWebgl: number;
  ms: number[];
}

export interface TestApi {
  cases: string[];
  compare(name: string): Promise<Comparison>;
  precision(): Promise<{ backend: string; renderFloat32: boolean; backendEpsilon: number; adamEpsilon: number; webglVersion: number; gradients: { webglPrecisionFixed: boolean; webglKernels: string[] } }>;
  train(backend: 'cpu' | 'webgl', steps: number): Promise<{ losses: number[]; diceBefore: number; diceAfter: number; ms: number }>;
}

/** The network cases (named after the network); the rest are layers, gradients and losses. */
export const isNetworkCase = (name: string): boolean => /^(unet2d|unet3d|twoPathCnn|deepMedic|highResNet)\b/.test(name);

/** The equivalence page, bundled and opened in Chromium, and a way to call its API. */
export async function openEquivalencePage(): Promise<{ page: BrowserPage; call: <R>(fn: (api: TestApi, arg: never) => Promise<R>, arg?: unknown) => Promise<R> }> {
  const page = await openModulePage(await bundle('test/browser/pages/equivalence.ts'));
  const call = <R>(fn: (api: TestApi, arg: never) => Promise<R>, arg?: unknown): Promise<R> =>
    page.page.evaluate(
      ([source, a]) => {
        const api = (globalThis as unknown as { gendiceTest: TestApi }).gendiceTest;
        return (new Function('api', 'arg', `return (${source})(api, arg);`) as (api: TestApi, arg: unknown) => Promise<R>)(api, a);
      },
      [fn.toString(), arg] as const,
    );
  return { page, call };
}

/**
 * float32 tolerance: |webgl − cpu| within 2e-5 of the largest |cpu| value of that tensor, plus 1e-7
 * absolute (measured: at most 1.4e-6 relative, in gradients through 3D batch normalisation); no leak.
 */
export function expectClose(c: Comparison): void {
  for (const t of c.tensors) {
    expect(Number.isFinite(t.maxAbs), `${c.name}: ${t.name} finite on cpu`).toBe(true);
    expect(t.maxDiff, `${c.name}: ${t.name} (max |cpu| ${t.maxAbs}, ${t.size} values)`).toBeLessThanOrEqual(2e-5 * t.maxAbs + 1e-7);
  }
  expect(c.leakedCpu, `${c.name}: tensors leaked on cpu`).toBe(0);
  expect(c.leakedWebgl, `${c.name}: tensors leaked on webgl`).toBe(0);
}

/** Runs every case of `names`, collecting failures (one line each) instead of stopping at the first. */
export async function compareAll(call: Awaited<ReturnType<typeof openEquivalencePage>>['call'], names: string[]): Promise<string[]> {
  const failures: string[] = [];
  for (const name of names) {
    try {
      const c = await call((api, n: string) => api.compare(n), name);
      expect(c.tensors.length, name).toBeGreaterThan(1);
      expectClose(c);
    } catch (e) {
      failures.push(`${name}: ${(e as Error).message.split('\n')[0]!}`);
    }
  }
  return failures;
}
