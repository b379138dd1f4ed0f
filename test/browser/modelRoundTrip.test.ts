import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { build } from 'esbuild';
import type { Download, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVolume, encodeNifti, getNetwork, MODEL_CARD, predictVolume, type ModelCard } from '../../src/index.js';
import { readModelCard, writeModelCard } from '../../src/networks/node/modelCardFile.js';
import { loadModel, MODEL_JSON, saveModel, WEIGHTS_BIN } from '../../src/networks/node/modelFiles.js';
import { hasChromium, launchChromium, serve } from './chromium.js';
import type { PagePrediction } from './pages/modelRoundTrip.js';
import { caseCard, caseImage, caseOptions, perturbWeights, ROUND_TRIP_CASES, TRAINED_CASE, type RoundTripCase } from './pages/modelRoundTripCases.js';
import { train } from '../../src/training/node/index.js';
import { tinyConfig } from '../training/tinyConfig.js';

// Models between Node and the browser build (dist/browser/gendice.js, built here into a temporary folder):
// a model folder saved in Node (saveModel + writeModelCard, as `gendice train` writes it) is served from
// 127.0.0.1 and loaded by the page from its URL and from picked Files, predicting on webgl and cpu what Node
// predicts; a model built and saved in the page (saveModelToArtifacts) loads in Node with loadModel and
// predicts what the page predicted. Every custom layer gendice registers is in one of the models.
if (!hasChromium) process.stderr.write('modelRoundTrip.test: skipped, /usr/bin/chromium is absent (Debian package chromium)\n');

const root = mkdtempSync(join(tmpdir(), 'gendice-roundtrip-'));
const CUSTOM_LAYERS = ['BatchNormalizationND', 'ChannelPadding', 'CroppingND', 'InstanceNormalization', 'Maxout', 'SpatialSizeCheck', 'UpSampling3D'];

interface NodeSide {
  c: RoundTripCase;
  prediction: PagePrediction;
}

const node: NodeSide[] = [];
let page: Page | undefined;
let origin = '';
let closeServer: () => Promise<void> = async () => {};
const requests: string[] = [];
const errors: string[] = [];
/** Largest differences measured, printed at the end (the docs quote them). */
const measured: Record<string, number> = {};

function nodePredict(model: tf.LayersModel, card: ModelCard, c: RoundTripCase): PagePrediction {
  const p = predictVolume(model, card, createVolume(caseImage(c), c.image, { channels: c.inputChannels }));
  return { backend: tf.getBackend(), probabilities: Array.from(p.probabilities.data), labels: Array.from(p.labels.data), windows: p.windows };
}

/**
 * Compares two predictions of the same model and image: probabilities within `tolerance`; labels equal
 * wherever the two largest probabilities of the reference are further apart than the tolerance (a near-tie
 * may go either way). Records the largest difference under `key`.
 */
function expectSame(a: PagePrediction, b: PagePrediction, classes: number, tolerance: number, key: string): void {
  expect(a.probabilities.length).toBe(b.probabilities.length);
  expect(a.windows).toBe(b.windows);
  let maxDiff = 0;
  for (let i = 0; i < a.probabilities.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a.probabilities[i]! - b.probabilities[i]!));
  measured[key] = Math.max(measured[key] ?? 0, maxDiff);
  expect(maxDiff, key).toBeLessThanOrEqual(tolerance);
  const n = a.labels.length;
  measured['labels that differ'] = (measured['labels that differ'] ?? 0) + a.labels.filter((l, v) => l !== b.labels[v]).length;
  let decided = 0;
  for (let v = 0; v < n; v++) {
    const p = Array.from({ length: classes }, (_, k) => a.probabilities[k * n + v]!).sort((x, y) => y - x);
    if (p[0]! - p[1]! <= tolerance) continue;
    decided++;
    expect(b.labels[v], `${key}: label of voxel ${v}`).toBe(a.labels[v]);
  }
  expect(decided).toBeGreaterThan(n / 2);
}

async function call<R>(fn: string, ...args: unknown[]): Promise<R> {
  return page!.evaluate(([f, a]) => (globalThis as unknown as { roundTrip: Record<string, (...x: unknown[]) => Promise<unknown>> }).roundTrip[f as string]!(...(a as unknown[])), [fn, args] as const) as Promise<R>;
}

/** The model folder of a real (4-iteration) `train` run, its card and Node's prediction of TRAINED_CASE's image. */
let trained: { dir: string; card: ModelCard; prediction: PagePrediction } | undefined;

function serveFolder(files: Record<string, { body: string | Uint8Array; type: string }>, dir: string, at: string): void {
  files[`${at}${MODEL_JSON}`] = { body: readFileSync(join(dir, MODEL_JSON), 'utf8'), type: 'application/json' };
  files[`${at}${WEIGHTS_BIN}`] = { body: readFileSync(join(dir, WEIGHTS_BIN)), type: 'application/octet-stream' };
  files[`${at}${MODEL_CARD}`] = { body: readFileSync(join(dir, MODEL_CARD), 'utf8'), type: 'application/json' };
}

beforeAll(async () => {
  const run = await train(tinyConfig({ iterations: 4, checkpoint: { every: 4, keep: 1 } }), { outDir: join(root, 'train') });
  await tf.setBackend('cpu');
  const files: Record<string, { body: string | Uint8Array; type: string }> = {};
  const trainedDir = join(run.outDir, 'model');
  const trainedModel = await loadModel(trainedDir);
  const trainedCard = readModelCard(trainedDir);
  trained = { dir: trainedDir, card: trainedCard, prediction: nodePredict(trainedModel, trainedCard, TRAINED_CASE) };
  trainedModel.dispose();
  serveFolder(files, trainedDir, '/models/trained/');
  const trainedImage = createVolume(caseImage(TRAINED_CASE), TRAINED_CASE.image, { channels: 1 });
  files['/case.nii.gz'] = { body: encodeNifti(trainedImage, { gzip: true }), type: 'application/gzip' };
  for (const c of ROUND_TRIP_CASES) {
    const dir = join(root, 'node', c.name);
    const model = getNetwork(c.network, caseOptions(c));
    perturbWeights(tf, model, 1000);
    await saveModel(model, dir);
    writeModelCard(dir, caseCard(c));
    node.push({ c, prediction: nodePredict(model, caseCard(c), c) });
    model.dispose();
    serveFolder(files, dir, `/models/${c.name}/`);
  }
  const first = ROUND_TRIP_CASES[0]!.name;
  const badCard = JSON.stringify({ ...caseCard(ROUND_TRIP_CASES[0]!), normalization: 'zscor' });
  files[`/models/bad-card/${MODEL_JSON}`] = files[`/models/${first}/${MODEL_JSON}`]!;
  files[`/models/bad-card/${WEIGHTS_BIN}`] = files[`/models/${first}/${WEIGHTS_BIN}`]!;
  files[`/models/bad-card/${MODEL_CARD}`] = { body: badCard, type: 'application/json' };
  files[`/models/short/${MODEL_JSON}`] = files[`/models/${first}/${MODEL_JSON}`]!;
  files[`/models/short/${WEIGHTS_BIN}`] = { body: (files[`/models/${first}/${WEIGHTS_BIN}`]!.body as Uint8Array).subarray(0, 64), type: 'application/octet-stream' };
  files[`/models/short/${MODEL_CARD}`] = files[`/models/${first}/${MODEL_CARD}`]!;
  if (!hasChromium) return;

  const bundleFile = join(root, 'gendice.js');
  execFileSync(process.execPath, ['scripts/build-browser.mjs'], { env: { ...process.env, GENDICE_BROWSER_OUT: bundleFile }, stdio: 'pipe' });
  const pageScript = await build({ entryPoints: ['test/browser/pages/modelRoundTrip.ts'], bundle: true, format: 'esm', platform: 'browser', target: 'es2022', write: false, logLevel: 'silent' });
  files['/'] = { body: '<!doctype html><meta charset="utf-8"><title>model round trip</title><script type="module" src="/test.js"></script>', type: 'text/html' };
  files['/gendice.js'] = { body: readFileSync(bundleFile, 'utf8'), type: 'text/javascript' };
  files['/test.js'] = { body: pageScript.outputFiles[0]!.text, type: 'text/javascript' };
  const served = await serve(files);
  origin = served.origin;
  closeServer = () => new Promise<void>((resolve) => served.server.close(() => resolve()));
  page = await (await launchChromium()).newPage();
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => (globalThis as { gendiceReady?: boolean }).gendiceReady === true, undefined, { timeout: 60_000 });
}, 180_000);

afterAll(async () => {
  process.stderr.write(`modelRoundTrip: largest |difference| of probabilities, and labels that differ: ${JSON.stringify(measured)}\n`);
  await page?.close();
  await closeServer();
  if (hasChromium) await (await launchChromium()).close();
  rmSync(root, { recursive: true, force: true });
});

describe('model folders between Node and the browser build', () => {
  it('the Node-saved models hold every custom layer gendice registers', () => {
    const classes = new Set<string>();
    for (const c of ROUND_TRIP_CASES) {
      const json = readFileSync(join(root, 'node', c.name, MODEL_JSON), 'utf8');
      for (const m of json.matchAll(/"class_name":"(\w+)"/g)) classes.add(m[1]!);
    }
    for (const layer of CUSTOM_LAYERS) expect(classes.has(layer), layer).toBe(true);
  });

  describe.skipIf(!hasChromium)('in Chromium', () => {
    it.each(ROUND_TRIP_CASES.map((c) => [c.name]))('%s saved in Node loads from its URL and predicts as in Node, on webgl and cpu', async (name) => {
      const { c, prediction } = node.find((n) => n.c.name === name)!;
      const [webgl, cpu] = await call<PagePrediction[]>('fromUrl', name, `/models/${name}/`, ['webgl', 'cpu']);
      expect(webgl!.backend).toBe('webgl');
      expect(cpu!.backend).toBe('cpu');
      expectSame(prediction, cpu!, c.classes, 1e-6, 'browser cpu vs Node cpu');
      expectSame(prediction, webgl!, c.classes, 2e-5, 'browser webgl vs Node cpu');
    }, 120_000);

    it('the model folder `train` wrote (4 iterations of test/training/tinyConfig) loads and predicts as in Node, on webgl and cpu', async () => {
      const { card, prediction } = trained!;
      expect(card.network.name).toBe('unet2d');
      const [webgl, cpu] = await call<PagePrediction[]>('fromUrl', TRAINED_CASE.name, '/models/trained', ['webgl', 'cpu']);
      expectSame(prediction, cpu!, card.classes, 1e-6, 'browser cpu vs Node cpu');
      expectSame(prediction, webgl!, card.classes, 2e-5, 'browser webgl vs Node cpu');
    }, 120_000);

    it("docs/browser.md's example (default engine, relative URL, a fetched .nii.gz) predicts as Node", async () => {
      const result = await call<PagePrediction & { engine: string }>('docsExample', 'models/trained/', 'case.nii.gz');
      expect(result.engine).toBe('webgl');
      expectSame(trained!.prediction, result, trained!.card.classes, 2e-5, 'browser webgl vs Node cpu');
    }, 60_000);

    it('loads the same folder from picked Files (model.json given as .../model.json URL too)', async () => {
      const { c, prediction } = node[0]!;
      const files = await call<PagePrediction>('fromFiles', c.name, `/models/${c.name}/`);
      expectSame(prediction, files, c.classes, 1e-6, 'browser cpu (Files) vs Node cpu');
      // as downloadModelFolder names them: one prefix on the three
      const prefixed = await call<PagePrediction>('fromFiles', c.name, `/models/${c.name}/`, undefined, 'brats-');
      expect(prefixed.probabilities).toEqual(files.probabilities);
      const [byJson] = await call<PagePrediction[]>('fromUrl', c.name, `${origin}/models/${c.name}/model.json`, ['cpu']);
      expect(byJson!.probabilities).toEqual(files.probabilities);
    }, 60_000);

    it.each(ROUND_TRIP_CASES.map((c) => [c.name]))('%s built and saved in the page loads in Node with loadModel and predicts as in the page', async (name) => {
      const c = ROUND_TRIP_CASES.find((k) => k.name === name)!;
      const { files, prediction } = await call<{ files: { json: string; weights: number[]; card: string }; prediction: PagePrediction }>('build', name);
      const dir = join(root, 'page', name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, MODEL_JSON), files.json);
      writeFileSync(join(dir, WEIGHTS_BIN), Uint8Array.from(files.weights));
      writeFileSync(join(dir, MODEL_CARD), files.card);
      // The same three files Node writes: the same seeded network and weights give the same bytes.
      expect(Buffer.from(Uint8Array.from(files.weights)).equals(readFileSync(join(root, 'node', name, WEIGHTS_BIN)))).toBe(true);
      expect(files.card).toBe(readFileSync(join(root, 'node', name, MODEL_CARD), 'utf8'));
      const model = await loadModel(dir);
      const card = readModelCard(dir);
      expect(card).toEqual(caseCard(c));
      expectSame(prediction, nodePredict(model, card, c), c.classes, 2e-5, 'Node cpu vs browser webgl (page-saved)');
      model.dispose();
    }, 120_000);

    it('downloadModelFolder saves the three files through the browser; renamed back, Node loads them', async () => {
      const c = ROUND_TRIP_CASES.find((k) => k.name === 'deepMedic')!;
      const downloads: Promise<Download>[] = [];
      const seen = new Promise<void>((resolve) => {
        page!.on('download', (d) => {
          downloads.push(Promise.resolve(d));
          if (downloads.length === 3) resolve();
        });
      });
      const bytes = await call<number>('download', c.name, 'deepMedic-');
      await seen;
      const dir = join(root, 'downloaded');
      mkdirSync(dir, { recursive: true });
      const names: string[] = [];
      for (const d of await Promise.all(downloads)) {
        names.push(d.suggestedFilename());
        await d.saveAs(join(dir, d.suggestedFilename().replace(/^deepMedic-/, '')));
      }
      expect(names.sort()).toEqual(['deepMedic-gendice.json', 'deepMedic-model.json', 'deepMedic-weights.bin']);
      expect(readFileSync(join(dir, WEIGHTS_BIN)).byteLength).toBe(bytes);
      expect(readFileSync(join(dir, WEIGHTS_BIN)).equals(readFileSync(join(root, 'node', c.name, WEIGHTS_BIN)))).toBe(true);
      const model = await loadModel(dir);
      expectSame(node.find((n) => n.c.name === c.name)!.prediction, nodePredict(model, readModelCard(dir), c), c.classes, 1e-6, 'Node cpu (downloaded) vs Node cpu');
      model.dispose();
    }, 60_000);

    it('names the file and the problem: an HTTP 404, a bad card (OptionError), short weights, a file not picked', async () => {
      const missing = await call<{ name: string; message: string }>('loadError', '/models/nowhere');
      expect(missing.message).toBe(`loadModelFromUrl: ${origin}/models/nowhere/model.json answered 404 Not Found`);
      const bad = await call<{ name: string; message: string }>('loadError', '/models/bad-card/');
      expect(bad.name).toBe('OptionError');
      expect(bad.message).toBe(`parseModelCard: ${origin}/models/bad-card/gendice.json: normalization must be one of 'zscore', 'none'; got 'zscor' (did you mean 'zscore'?)`);
      const short = await call<{ name: string; message: string }>('loadError', '/models/short/');
      expect(short.message).toMatch(new RegExp(`^loadModelFromUrl: ${origin}/models/short/weights\\.bin has 64 bytes but ${origin}/models/short/model\\.json describes \\d+ weights of \\d+ bytes`));
      const notPicked = await call<string>('filesError', 'unet2d', '/models/unet2d/', 'weights.bin');
      expect(notPicked).toBe("loadModelFromFiles: weights.bin missing among the picked files ['notes.txt', 'model.json', 'gendice.json']; a model folder has model.json, weights.bin, gendice.json (or the three with one prefix)");
    }, 60_000);

    it('the page requested only its own origin and raised no error', () => {
      expect(requests.length).toBeGreaterThan(5);
      expect(requests.filter((u) => !u.startsWith(`${origin}/`))).toEqual([]);
      expect(errors).toEqual([]);
    });
  });
});
