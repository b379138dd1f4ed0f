import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unet2d } from '../../src/networks/index.js';
import { loadModel, MODEL_JSON, saveModel, WEIGHTS_BIN } from '../../src/networks/node/modelFiles.js';

const root = mkdtempSync(join(tmpdir(), 'gendice-modelfiles-'));
let saved = '';
let model: tf.LayersModel;

beforeAll(async () => {
  await tf.setBackend('cpu');
  model = unet2d({ depth: 1, baseFilters: 2, seed: 3 });
  saved = join(root, 'good');
  await saveModel(model, saved);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A copy of the saved directory with one file replaced or removed. */
function variant(name: string, file: string, content: string | Uint8Array | null): string {
  const dir = join(root, name);
  rmSync(dir, { recursive: true, force: true });
  for (const f of [MODEL_JSON, WEIGHTS_BIN]) {
    if (f === file && content === null) continue;
    const data = f === file ? content! : readFileSync(join(saved, f));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, f), data);
  }
  return dir;
}


describe('model directory files', () => {
  it('writes exactly model.json and weights.bin, in the TF.js layers-model layout', () => {
    expect(readdirSync(saved).sort()).toEqual([MODEL_JSON, WEIGHTS_BIN]);
    const manifest = JSON.parse(readFileSync(join(saved, MODEL_JSON), 'utf8')) as tf.io.ModelJSON;
    expect(manifest.format).toBe('layers-model');
    expect(manifest.weightsManifest[0]!.paths).toEqual(['./weights.bin']);
    const bytes = manifest.weightsManifest[0]!.weights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1) * 4, 0);
    expect(readFileSync(join(saved, WEIGHTS_BIN)).byteLength).toBe(bytes);
    expect(bytes).toBe(model.countParams() * 4);
  });

  it('a loaded model still refuses unsupported sizes with the network\'s message', async () => {
    const loaded = await loadModel(saved);
    expect(() => loaded.predict(tf.zeros([1, 4, 5, 1]))).toThrow('unet2d: input size 5 is not divisible by 2^1 = 2');
    loaded.dispose();
  });

  it('overwrites an existing model atomically, leaving no temporary files', async () => {
    await saveModel(model, saved);
    expect(readdirSync(saved).sort()).toEqual([MODEL_JSON, WEIGHTS_BIN]);
  });

  it.each([
    ['a missing directory', () => join(root, 'nowhere'), /loadModel: .*nowhere is not a directory/],
    ['a missing model.json', () => variant('no-json', MODEL_JSON, null), /loadModel: .*no-json\/model\.json is missing/],
    ['a missing weights.bin', () => variant('no-bin', WEIGHTS_BIN, null), /loadModel: .*no-bin\/weights\.bin is missing \(.*model\.json expects \d+ bytes\)/],
    ['invalid JSON', () => variant('bad-json', MODEL_JSON, '{"modelTopology": '), /loadModel: .*bad-json\/model\.json is not valid JSON/],
    ['no topology', () => variant('no-topology', MODEL_JSON, '{"weightsManifest": []}'), /model\.json has no modelTopology object/],
    [
      'truncated weights',
      () => variant('short-bin', WEIGHTS_BIN, readFileSync(join(saved, WEIGHTS_BIN)).subarray(0, 100)),
      /loadModel: .*short-bin\/weights\.bin has 100 bytes but .*model\.json describes \d+ weights of \d+ bytes \(damaged or from another model\)/,
    ],
    [
      'an unknown layer class',
      () => variant('unknown-layer', MODEL_JSON, readFileSync(join(saved, MODEL_JSON), 'utf8').replaceAll('"Maxout"', '"Nope"').replace('"SpatialSizeCheck"', '"NoSuchLayer"')),
      /loadModel: .*unknown-layer\/model\.json does not describe a loadable model: .*NoSuchLayer/,
    ],
  ])('refuses %s, naming the file and the problem', async (_, makeDir, message) => {
    await expect(loadModel(makeDir())).rejects.toThrow(message);
  });
});
