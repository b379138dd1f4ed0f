import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelFromArtifacts, loadModelFromFiles, loadModelFromUrl, modelFolderUrl, saveModelToArtifacts, unet2d, type ModelCard, type ModelFolderFiles } from '../../src/networks/index.js';
import { writeModelCard } from '../../src/networks/node/modelCardFile.js';
import { MODEL_JSON, saveModel, WEIGHTS_BIN } from '../../src/networks/node/modelFiles.js';

// The universal model folder functions in Node (the browser side: test/browser/modelRoundTrip.test.ts).
const root = mkdtempSync(join(tmpdir(), 'gendice-modelfolder-'));
const card: ModelCard = { network: { name: 'unet2d', options: { depth: 1, baseFilters: 2, classes: 2, inputChannels: 1 } }, patchSize: [8, 8], normalization: 'zscore', classes: 2, inputChannels: 1, loss: 'gdl' };
let model: tf.LayersModel;
let files: ModelFolderFiles;

beforeAll(async () => {
  await tf.setBackend('cpu');
  model = unet2d({ depth: 1, baseFilters: 2, seed: 4 });
  files = await saveModelToArtifacts(model, card);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A fetch over `served` (URL → body), 404 elsewhere, recording what was asked. */
function fakeFetch(served: Record<string, string | Uint8Array>, asked: string[]) {
  return async (url: string): Promise<Response> => {
    asked.push(url);
    const body = served[url];
    return body === undefined ? new Response('', { status: 404, statusText: 'Not Found' }) : new Response(body as BodyInit);
  };
}

describe('model folders in memory', () => {
  it('saveModelToArtifacts gives byte for byte the files saveModel and writeModelCard write', async () => {
    const dir = join(root, 'node');
    await saveModel(model, dir);
    writeModelCard(dir, card);
    expect(files['model.json']).toBe(readFileSync(join(dir, MODEL_JSON), 'utf8'));
    expect(Buffer.from(files['weights.bin']).equals(readFileSync(join(dir, WEIGHTS_BIN)))).toBe(true);
    expect(files['gendice.json']).toBe(readFileSync(join(dir, 'gendice.json'), 'utf8'));
  });

  it('loadModelFromArtifacts gives the model back (same prediction) from text, bytes or ArrayBuffers', async () => {
    const x = tf.randomUniform([1, 8, 8, 1], 0, 1, 'float32', 5);
    const expected = (model.predict(x) as tf.Tensor).dataSync();
    const weights = files['weights.bin'];
    const asBuffer = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer;
    const loaded = await loadModelFromArtifacts({ 'model.json': new TextEncoder().encode(files['model.json']), 'weights.bin': asBuffer, 'gendice.json': files['gendice.json'] });
    expect(loaded.card).toEqual(card);
    expect(Array.from((loaded.model.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from(expected));
    loaded.model.dispose();
  });

  it('refuses a card that does not fit the model, and a bad card on save', async () => {
    const other = JSON.stringify({ ...card, classes: 3, network: { name: 'unet2d', options: {} } });
    await expect(loadModelFromArtifacts({ ...files, 'gendice.json': other }, 'm/')).rejects.toThrow(
      'loadModelFromArtifacts: m/gendice.json says 1 input channel(s) and 3 classes, but the model takes 1 and gives 2 (a card from another model?)',
    );
    await expect(loadModelFromArtifacts({ ...files, 'gendice.json': '{' }, 'm/')).rejects.toThrow('loadModelFromArtifacts: m/gendice.json is not valid JSON');
    await expect(saveModelToArtifacts(model, { ...card, loss: '' })).rejects.toThrow("parseModelCard: the card given to saveModelToArtifacts: loss must be a non-empty string; got ''");
  });

  it('modelFolderUrl takes a folder with or without its slash, or its model.json', () => {
    expect(modelFolderUrl('http://h/m/a')).toBe('http://h/m/a/');
    expect(modelFolderUrl('http://h/m/a/')).toBe('http://h/m/a/');
    expect(modelFolderUrl('http://h/m/a/model.json?x=1')).toBe('http://h/m/a/');
    expect(() => modelFolderUrl('models/a')).toThrow("loadModelFromUrl: 'models/a' is not a URL (relative URLs need a page to resolve against)");
  });

  it('loadModelFromUrl fetches exactly the three files, and names the URL that failed', async () => {
    const asked: string[] = [];
    const served = { 'http://h/m/model.json': files['model.json'], 'http://h/m/weights.bin': files['weights.bin'], 'http://h/m/gendice.json': files['gendice.json'] };
    const { model: loaded, card: read } = await loadModelFromUrl('http://h/m', { fetch: fakeFetch(served, asked) });
    expect(asked.sort()).toEqual(Object.keys(served).sort());
    expect(read).toEqual(card);
    expect(loaded.countParams()).toBe(model.countParams());
    loaded.dispose();
    const { 'http://h/m/gendice.json': _, ...noCard } = served;
    await expect(loadModelFromUrl('http://h/m/', { fetch: fakeFetch(noCard, []) })).rejects.toThrow('loadModelFromUrl: http://h/m/gendice.json answered 404 Not Found');
    const failing = async (): Promise<Response> => {
      throw new TypeError('fetch failed');
    };
    await expect(loadModelFromUrl('http://h/m/', { fetch: failing })).rejects.toThrow('loadModelFromUrl: http://h/m/model.json could not be fetched (fetch failed)');
  });

  it('loadModelFromFiles picks the three by name or under one prefix, and refuses an ambiguous pick', async () => {
    const named = (prefix: string): File[] => [
      new File([files['model.json']], `${prefix}model.json`),
      new File([files['weights.bin'] as BlobPart], `${prefix}weights.bin`),
      new File([files['gendice.json']], `${prefix}gendice.json`),
    ];
    const a = await loadModelFromFiles([new File(['x'], 'README.txt'), ...named('brats-')]);
    expect(a.card).toEqual(card);
    a.model.dispose();
    await expect(loadModelFromFiles([...named('a-'), ...named('b-')])).rejects.toThrow("loadModelFromFiles: the picked files ['a-model.json', 'a-weights.bin', 'a-gendice.json', 'b-model.json', 'b-weights.bin', 'b-gendice.json'] hold several model folders ('a-', 'b-'); pick one");
    await expect(loadModelFromFiles([...named(''), new File(['{}'], 'model.json')])).rejects.toThrow('loadModelFromFiles: model.json was picked twice');
    await expect(loadModelFromFiles(named('a-').slice(0, 2))).rejects.toThrow("loadModelFromFiles: a-gendice.json missing among the picked files ['a-model.json', 'a-weights.bin']");
  });
});
