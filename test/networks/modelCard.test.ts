import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OptionError } from '../../src/common/options.js';
import { MODEL_CARD, parseModelCard, type ModelCard } from '../../src/networks/index.js';
import { readModelCard, writeModelCard } from '../../src/networks/node/modelCardFile.js';

const card: ModelCard = {
  network: { name: 'unet2d', options: { depth: 2, baseFilters: 4, classes: 2, inputChannels: 1 } },
  patchSize: [64, 64],
  normalization: 'zscore',
  classes: 2,
  inputChannels: 1,
  loss: 'gdl',
};
const root = mkdtempSync(join(tmpdir(), 'gendice-modelcard-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('parseModelCard', () => {
  it('returns a valid card as it is, and keeps fields it does not know', () => {
    expect(parseModelCard(card)).toEqual(card);
    expect(parseModelCard({ ...card, trainedAt: 'today' })).toMatchObject({ trainedAt: 'today' });
  });

  it.each([
    ['not an object', [1], 'the card must be a JSON object; got [1]'],
    ['no network', { ...card, network: undefined }, 'network must be an object { name, options }; got undefined'],
    ['a misspelt network', { ...card, network: { name: 'unet2', options: {} } }, "network.name must be one of 'unet2d', 'twoPathCnn', 'deepMedic', 'highResNet', 'unet3d'; got 'unet2' (did you mean 'unet2d'?)"],
    ['network options not an object', { ...card, network: { name: 'unet2d', options: null } }, 'network.options must be an object; got null'],
    ['a misspelt network option', { ...card, network: { name: 'unet2d', options: { dpeth: 2 } } }, "network.options: unet2d: unknown option 'dpeth' (did you mean 'depth'?)"],
    ['a bad network option', { ...card, network: { name: 'unet2d', options: { depth: 0 } } }, 'network.options: unet2d: depth must be an integer >= 1; got 0'],
    ['a 1D patch', { ...card, patchSize: [64] }, 'patchSize must be a list of 2 integers >= 1; got [64]'],
    ['a 3D patch for a 2D network', { ...card, patchSize: [8, 8, 8] }, 'patchSize must be a list of 2 integers >= 1; got [8, 8, 8]'],
    ['a fractional patch', { ...card, patchSize: [64, 6.5] }, 'patchSize must be a list of 2 integers >= 1; got [64, 6.5]'],
    ['a misspelt normalisation', { ...card, normalization: 'zscor' }, "normalization must be one of 'zscore', 'none'; got 'zscor' (did you mean 'zscore'?)"],
    ['NaN classes', { ...card, classes: Number.NaN }, 'classes must be an integer >= 1; got NaN'],
    ['classes that differ from the network options', { ...card, classes: 3 }, 'classes must equal network.options.classes (2); got 3'],
    ['zero input channels', { ...card, inputChannels: 0 }, 'inputChannels must be an integer >= 1; got 0'],
    ['an empty loss', { ...card, loss: '' }, "loss must be a non-empty string; got ''"],
  ])('refuses %s, naming the field and the value', (_, value, message) => {
    expect(() => parseModelCard(value, 'm/gendice.json')).toThrow(`parseModelCard: m/gendice.json: ${message}`);
    expect(() => parseModelCard(value, 'm/gendice.json')).toThrow(OptionError);
  });
});

describe('readModelCard and writeModelCard (Node-only)', () => {
  it('round-trips a card through gendice.json, leaving no temporary file', () => {
    const dir = mkdtempSync(join(root, 'ok-'));
    writeModelCard(dir, card);
    expect(readdirSync(dir)).toEqual([MODEL_CARD]);
    expect(readFileSync(join(dir, MODEL_CARD), 'utf8')).toBe(`${JSON.stringify(card, null, 2)}\n`);
    expect(readModelCard(dir)).toEqual(card);
  });

  it('refuses to write a bad card, writing nothing', () => {
    const dir = mkdtempSync(join(root, 'bad-'));
    expect(() => writeModelCard(dir, { ...card, patchSize: [] })).toThrow(`parseModelCard: ${join(dir, MODEL_CARD)}: patchSize must be a list of 2 integers >= 1; got []`);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('names the file when it is missing, not JSON, or holds a bad field', () => {
    const dir = mkdtempSync(join(root, 'read-'));
    const path = join(dir, MODEL_CARD);
    expect(() => readModelCard(dir)).toThrow(`readModelCard: ${path} not found`);
    writeFileSync(path, '{ "network": ');
    expect(() => readModelCard(dir)).toThrow(`readModelCard: ${path} is not valid JSON`);
    writeFileSync(path, JSON.stringify({ ...card, normalization: 'minmax' }));
    expect(() => readModelCard(dir)).toThrow(`parseModelCard: ${path}: normalization must be one of 'zscore', 'none'; got 'minmax'`);
  });
});
