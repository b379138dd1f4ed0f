import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePhantom } from '../../src/data/phantom.js';
import { gendice } from '../cli/run.js';
import { hasChromium, launchChromium, serve } from './chromium.js';

// `gendice lab`: the page built by scripts/build-lab.mjs (into a temporary folder here), served by the
// command, trains two losses in Chromium (WebGL through SwiftShader) and draws what it predicts.
const dir = mkdtempSync(join(tmpdir(), 'gendice-lab-'));
const assets = join(dir, 'assets');
let server: ChildProcess | undefined;
let url = '';

beforeAll(async () => {
  execFileSync(process.execPath, ['scripts/build-lab.mjs'], { env: { ...process.env, GENDICE_LAB_OUT: assets }, stdio: 'pipe' });
  server = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'lab', '--port', '0'], { env: { ...process.env, GENDICE_LAB_DIR: assets }, stdio: ['ignore', 'pipe', 'pipe'] });
  url = await new Promise<string>((ok, fail) => {
    let text = '';
    server!.stdout!.on('data', (b: Buffer) => {
      text += b.toString();
      const m = /gendice lab: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(text);
      if (m) ok(m[1]!);
    });
    server!.once('exit', (code) => fail(new Error(`gendice lab exited with ${code}`)));
  });
}, 120_000);

afterAll(async () => {
  server?.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
  if (hasChromium) await (await launchChromium()).close();
});

interface PageRun {
  loss: string;
  losses: number[];
  dice: number[];
  prediction: number[];
}

/** Opens `address` in Chromium, waits until the lab's state leaves loading/training, returns it with the requests. */
async function openLab(address: string, until: string[]) {
  const page = await (await launchChromium()).newPage();
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(address);
  await page.waitForFunction((states) => states.includes((globalThis as { gendiceLab?: { status: string } }).gendiceLab?.status ?? ''), until, { timeout: 120_000 });
  const state = await page.evaluate(() => {
    const s = (globalThis as unknown as { gendiceLab: { status: string; error?: string; engine?: string; runs: { loss: string; losses: number[]; dice: number[]; prediction: Uint8Array }[]; shown?: { label: Uint8Array } } }).gendiceLab;
    return { status: s.status, error: s.error, engine: s.engine, runs: s.runs.map((r) => ({ ...r, prediction: Array.from(r.prediction) })), label: s.shown ? Array.from(s.shown.label) : [] };
  });
  return { page, requests, errors, state };
}

/** The RGB of the centre of each phantom pixel of an overlay canvas (drawn at `scale` canvas pixels per phantom pixel). */
async function overlayPixels(page: import('playwright-core').Page, id: string, size: number): Promise<number[][]> {
  return page.evaluate(
    ([canvasId, n]) => {
      const canvas = document.getElementById(canvasId) as HTMLCanvasElement;
      const scale = Math.floor(canvas.width / n);
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      const out: number[][] = [];
      for (let y = 0; y < n; y++) {
        for (let x = 0; x < n; x++) {
          const o = 4 * ((y * scale + Math.floor(scale / 2)) * canvas.width + x * scale + Math.floor(scale / 2));
          out.push([data[o]!, data[o + 1]!, data[o + 2]!]);
        }
      }
      return out;
    },
    [id, size] as const,
  );
}

/** Orange overlay (prediction) against grey image pixels. */
const isOrange = ([r, g, b]: number[]): boolean => r! > g! + 40 && g! > b! + 40;

describe.skipIf(!hasChromium)('gendice lab in Chromium', () => {
  it('trains both losses with only same-origin requests; the loss falls; overlays show the predictions on the lesion', async () => {
    const size = 32;
    const settings = { lossA: 'gdl', lossB: 'wce', size, cases: 2, steps: 30, foreground: 0.05, network: 'unet2d-small', learningRate: 0.01, seed: 3 };
    const query = new URLSearchParams({ ...Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, String(v)])), autostart: '1' });
    const { page, requests, errors, state } = await openLab(`${url}?${query}`, ['done', 'error']);
    const origin = new URL(url).origin;
    expect(state.error).toBeUndefined();
    expect(errors).toEqual([]);
    expect(requests.length).toBeGreaterThanOrEqual(2);
    expect(requests.filter((r) => !r.startsWith(`${origin}/`))).toEqual([]);
    expect(state.engine).toBe('webgl');
    const runs = state.runs as PageRun[];
    expect(runs.map((r) => r.loss)).toEqual(['gdl', 'wce']);
    for (const run of runs) {
      expect(run.losses).toHaveLength(settings.steps);
      expect(run.losses.every(Number.isFinite)).toBe(true);
      const tail = run.losses.slice(-3).reduce((a, b) => a + b, 0) / 3;
      process.stderr.write(`lab ${run.loss}: loss ${run.losses[0]!.toFixed(4)} -> ${tail.toFixed(4)}, held-out Dice ${run.dice.at(-1)!.toFixed(3)}\n`);
      expect(tail).toBeLessThan(run.losses[0]!);
    }
    // The held-out phantom is the universal generator's (seed · 1000 + cases), as Node makes it.
    const phantom = generatePhantom({ dims: 2, size, foregroundFraction: settings.foreground, seed: settings.seed * 1000 + settings.cases });
    const lesion = Array.from(phantom.label.data as ArrayLike<number>);
    expect(state.label).toEqual(lesion);
    const lesionPixels = lesion.filter((v) => v === 1).length;
    let recall = 0;
    let precision = 0;
    for (const [i, id] of ['overlayA', 'overlayB'].entries()) {
      const pixels = await overlayPixels(page, id, size);
      const drawn = pixels.map((p) => (isOrange(p) ? 1 : 0));
      // The canvas shows exactly the page's prediction, and the prediction is not everywhere.
      expect(drawn).toEqual(runs[i]!.prediction);
      expect(drawn.filter((v) => v === 1).length).toBeLessThan(size * size / 2);
      const onLesion = drawn.filter((v, k) => v === 1 && lesion[k] === 1).length;
      if (onLesion / lesionPixels > recall) {
        recall = onLesion / lesionPixels;
        precision = onLesion / Math.max(1, drawn.filter((v) => v === 1).length);
      }
    }
    // At 5% foreground, after 30 steps one loss covers part of the lesion (measured: 39% of it, 1 in 3 orange
    // pixels on it, load 10), far above chance (1 in 20).
    expect(recall).toBeGreaterThan(0.2);
    expect(precision).toBeGreaterThan(0.2);
    await page.close();
  }, 180_000);

  it('trains twoPathCnn too (its input padded so that its output covers the phantom)', async () => {
    const { page, errors, state } = await openLab(`${url}?network=twoPathCnn&size=16&cases=1&steps=3&foreground=0.05&autostart=1`, ['done', 'error']);
    expect(state.error).toBeUndefined();
    expect(errors).toEqual([]);
    for (const run of state.runs as PageRun[]) {
      expect(run.losses).toHaveLength(3);
      expect(run.losses.every(Number.isFinite)).toBe(true);
      expect(run.prediction).toHaveLength(16 * 16);
    }
    await page.close();
  }, 120_000);

  it('--build writes a folder that works from a plain static server; a bad setting is named in the page', async () => {
    const out = join(dir, 'site');
    const r = gendice(['lab', '--build', out, '--json'], { GENDICE_LAB_DIR: assets });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ folder: out, files: ['index.html', 'lab.js'] });
    expect(readdirSync(out).sort()).toEqual(['index.html', 'lab.js']);
    const body = (name: string): Uint8Array => readFileSync(join(out, name));
    const { server: site, origin } = await serve({
      '/index.html': { body: body('index.html'), type: 'text/html' },
      '/lab.js': { body: body('lab.js'), type: 'text/javascript' },
    });
    try {
      const ok = await openLab(`${origin}/index.html`, ['idle', 'error']);
      expect(ok.state.status).toBe('idle');
      expect(ok.errors).toEqual([]);
      expect(ok.requests.filter((u) => !u.startsWith(`${origin}/`))).toEqual([]);
      await ok.page.close();
      const bad = await openLab(`${origin}/index.html?lossA=gdll`, ['idle', 'error']);
      expect(bad.state.status).toBe('error');
      expect(bad.state.error).toMatch(/^lab: lossA must be one of 'gdl', .*; got 'gdll' \(did you mean 'gdl'\?\)/);
      expect(await bad.page.textContent('#status')).toBe(bad.state.error);
      await bad.page.close();
    } finally {
      await new Promise<void>((done) => site.close(() => done()));
    }
  }, 120_000);
});

describe('gendice lab flags', () => {
  const env = { GENDICE_LAB_DIR: assets };
  it.each([
    [['--port', '70000'], /option '--port <n>' argument '70000' is invalid\. must be an integer in \[0, 65535\]; got '70000'/],
    [['--port', 'eighty'], /option '--port <n>' argument 'eighty' is invalid/],
    [['--host', 'example.org'], /option '--host <address>' argument 'example\.org' is invalid\. must be an IP address .*; got 'example\.org'/],
    [['--build', join(dir, 'x'), '--port', '8000'], /gendice lab: --build writes a folder and serves nothing; drop --port/],
  ])('refuses %j with a named error', (args, message) => {
    const r = gendice(['lab', ...args], env);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(message);
  });

  it('refuses to replace a folder that holds other files, and names a missing build', () => {
    const busy = join(dir, 'busy');
    mkdirSync(busy, { recursive: true });
    writeFileSync(join(busy, 'thesis.tex'), 'mine');
    const r = gendice(['lab', '--build', busy], env);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/--build '.*busy' holds files that are not the lab's \('thesis\.tex'\); choose a new or empty folder/);
    expect(readFileSync(join(busy, 'thesis.tex'), 'utf8')).toBe('mine');
    const missing = gendice(['lab', '--build', join(dir, 'y')], { GENDICE_LAB_DIR: join(dir, 'nothing') });
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toMatch(/the lab page is not built \(.*index\.html is missing\); run 'npm run build'/);
  });
});
