import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generalizedDiceLoss } from '../../src/index.js';
import { hasChromium, launchChromium, serve } from './chromium.js';

// The browser build as `npm run build` writes it (scripts/build-browser.mjs, into a temporary folder here):
// one ES module without Node built-ins that loads in Chromium and computes what Node computes.
const dir = mkdtempSync(join(tmpdir(), 'gendice-bundle-'));
const file = join(dir, 'gendice.js');
let code = '';

beforeAll(() => {
  execFileSync(process.execPath, ['scripts/build-browser.mjs'], { env: { ...process.env, GENDICE_BROWSER_OUT: file }, stdio: 'pipe' });
  code = readFileSync(file, 'utf8');
}, 120_000);

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (hasChromium) await (await launchChromium()).close();
});

/** Fixed GDL inputs: logits [2, 4, 5, 3] and a one-hot reference with an empty class in image 1. */
function gdlInputs(): { logits: number[]; labels: number[]; shape: number[] } {
  const logits = Array.from({ length: 2 * 4 * 5 * 3 }, (_, i) => Math.sin(i * 1.7) * 2);
  const labels = Array.from({ length: 2 * 4 * 5 }, (_, i) => (i < 20 ? (i % 7 === 0 ? 2 : i % 3 === 0 ? 1 : 0) : i % 5 === 0 ? 1 : 0));
  return { logits, labels, shape: [2, 4, 5, 3] };
}

describe('dist/browser/gendice.js', () => {
  it('is one ES module with no Node built-in, exporting the universal API and tf', () => {
    expect(code.length).toBeGreaterThan(500_000);
    expect(code).not.toMatch(/\bfrom\s*["']node:|\bimport\s*\(\s*["']node:|\brequire\(\s*["'](node:|fs|path|os|child_process|worker_threads)["']\)/);
    expect(code).toMatch(/\bexport\s*\{/);
    for (const name of ['selectEngine', 'generalizedDiceLoss', 'unet2d', 'loadModelFromUrl', 'loadModelFromFiles', 'saveModelToArtifacts', 'downloadModelFolder', 'tf']) expect(code).toMatch(new RegExp(`\\bas ${name}\\b|\\b${name} as\\b|[{,]\\s*${name}\\s*[,}]`));
  });

  it.skipIf(!hasChromium)('loads in Chromium, picks webgl, and gives the GDL value and gradient of Node', async () => {
    const { server, origin } = await serve({
      '/': {
        body: '<!doctype html><meta charset="utf-8"><title>bundle</title><script type="module">import * as g from "/gendice.js"; globalThis.gendice = g;</script>',
        type: 'text/html',
      },
      '/gendice.js': { body: code, type: 'text/javascript' },
    });
    const page = await (await launchChromium()).newPage();
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => (globalThis as { gendice?: unknown }).gendice !== undefined, undefined, { timeout: 60_000 });
    const input = gdlInputs();
    const browser = await page.evaluate(async ({ logits, labels, shape }) => {
      const g = (globalThis as unknown as { gendice: typeof import('../../src/browser.js') }).gendice;
      const info = await g.selectEngine({ quiet: true });
      const { tf: t } = g;
      const x = t.tensor(logits, shape);
      const y = t.oneHot(t.tensor1d(labels, 'int32'), 3).reshape(shape);
      const loss = g.generalizedDiceLoss();
      const v = t.variable(x, true, 'logits');
      const { value, grads } = t.variableGrads(() => loss(y, v) as never, [v]);
      const model = g.unet2d({ depth: 1, baseFilters: 2, seed: 1 });
      const out = model.predict(t.zeros([1, 8, 8, 1])) as { shape: number[] };
      return { engine: info.engine, backend: t.getBackend(), value: (await value.data())[0]!, grad: Array.from(await grads['logits']!.data()), outShape: out.shape, epsilon: t.backend().epsilon() };
    }, input);
    await page.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));

    const node = tf.tidy(() => {
      const x = tf.tensor(input.logits, input.shape);
      const y = tf.oneHot(tf.tensor1d(input.labels, 'int32'), 3).reshape(input.shape);
      const v = tf.variable(x, true, 'nodeLogits');
      const { value, grads } = tf.variableGrads(() => generalizedDiceLoss()(y, v) as tf.Scalar, [v]);
      return { value: value.dataSync()[0]!, grad: Array.from(grads['nodeLogits']!.dataSync()) };
    });
    tf.disposeVariables();

    expect(errors).toEqual([]);
    expect(requests.every((u) => u.startsWith(`${origin}/`))).toBe(true);
    expect(browser.engine).toBe('webgl');
    expect(browser.backend).toBe('webgl');
    expect(browser.epsilon).toBe(1e-7);
    expect(browser.outShape).toEqual([1, 8, 8, 2]);
    expect(Math.abs(browser.value - node.value)).toBeLessThan(1e-6);
    const gradDiff = Math.max(...browser.grad.map((v, i) => Math.abs(v - node.grad[i]!)));
    const gradScale = Math.max(...node.grad.map(Math.abs));
    expect(gradDiff).toBeLessThanOrEqual(2e-5 * gradScale + 1e-7);
  });
});
