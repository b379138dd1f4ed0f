import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { learningRateAt, parseTrainingConfig } from '../../src/training/index.js';
import { readTrainingConfig } from '../../src/training/node/index.js';

const minimal = {
  network: { name: 'unet2d' },
  loss: { name: 'gdl' },
  optimizer: { learningRate: 1e-3 },
  iterations: 10,
  batchSize: 2,
  patchSize: [32, 32],
  data: { synthetic: { dims: 2, foregroundFraction: 0.01 } },
};

describe('training configuration', () => {
  it('fills the documented defaults', () => {
    const c = parseTrainingConfig(minimal);
    expect(c.seed).toBe(0);
    expect(c.optimizer).toEqual({ name: 'adam', learningRate: 1e-3, momentum: 0.9, schedule: { type: 'constant' } });
    expect(c.sampling).toBe('foreground');
    expect(c.checkpoint).toEqual({ every: 100, keep: 2 });
    expect(c.scoreWindow).toBe(200);
    expect(c.normalization).toBe('zscore');
  });

  it.each([
    [{ ...minimal, optimizer: { learningRate: -1 } }, /optimizer\.learningRate: .*(>0|positive|greater).*; got -1$/im],
    [{ ...minimal, loss: { name: 'gld' } }, /loss\.name: must be one of 'gdl', 'dice', .*; got 'gld' \(did you mean 'gdl'\?\)/],
    [{ ...minimal, network: { name: 'unet' } }, /network\.name: must be one of 'unet2d', .*; got 'unet' \(did you mean 'unet2d'\?\)/],
    [{ ...minimal, patchSize: [32] }, /patchSize: .*; got \[32\]/],
    [{ ...minimal, iterations: 2.5 }, /iterations: .*int.*; got 2\.5/i],
    [{ ...minimal, optimizer: { learningRate: Number.NaN } }, /optimizer\.learningRate: .*; got NaN$/m],
    [{ ...minimal, sampling: 'foregrund' }, /sampling: must be one of 'uniform', 'foreground', 'balanced'; got 'foregrund' \(did you mean 'foreground'\?\)/],
    [{ ...minimal, batchsize: 2 }, /^ {2}batchsize: unknown key \(did you mean 'batchSize'\?\); known keys: seed, dataSeed, network, /m],
    // One spelling for both: the intensity key and the network option are both 'normalization'.
    [{ ...minimal, normalisation: 'none' }, /^ {2}normalisation: unknown key \(did you mean 'normalization'\?\)/m],
    [{ ...minimal, network: { name: 'unet2d', options: { normalisation: 'batch' } } }, /^ {2}network\.options\.normalisation: unknown option \(did you mean 'normalization'\?\)/m],
    [{ ...minimal, data: { synthetic: { dims: 2, foregroundFraction: 0.01, lesionShap: 'blobs' } } }, /^ {2}data\.synthetic\.lesionShap: unknown key \(did you mean 'lesionShape'\?\)/m],
    [{ ...minimal, optimizer: { learningRate: 1e-3, schedule: { type: 'cosine' } } }, /optimizer\.schedule\.type: /],
    [{ ...minimal, validation: { patience: 3 } }, /^ {2}validation\.patience: needs validation\.every > 0 \(the passes it counts\)/m],
    [{ ...minimal, validation: { every: 5, patience: 0 } }, /^ {2}validation\.patience: .*; got 0$/m],
  ])('%#: an invalid field is named with its path and value', (raw, message) => {
    expect(() => parseTrainingConfig(raw, 'my.json')).toThrow(message);
    expect(() => parseTrainingConfig(raw, 'my.json')).toThrow(/^my\.json: invalid training configuration/);
  });

  it('refuses an inputShape, which gendice derives from patchSize', () => {
    expect(() => parseTrainingConfig({ ...minimal, network: { name: 'unet2d', options: { inputShape: [32, 32] } } })).toThrow(/network\.options\.inputShape: is set by gendice/);
  });

  it.each<[string, object, RegExp]>([
    ['a misspelt loss option', { loss: { name: 'gdl', options: { weightType: 'squared' } } }, /^ {2}loss\.options\.weightType: must be one of 'square', 'simple', 'uniform'; got 'squared' \(did you mean 'square'\?\)$/m],
    ['a loss option of another loss', { loss: { name: 'dice', options: { weightType: 'square' } } }, /^ {2}loss\.options\.weightType: unknown option; known options: activation, /m],
    ['an unknown network option', { network: { name: 'unet2d', options: { basefilters: 8 } } }, /^ {2}network\.options\.basefilters: unknown option \(did you mean 'baseFilters'\?\)/m],
    ['a bad network option value', { network: { name: 'unet2d', options: { dropout: 1 } } }, /^ {2}network\.options\.dropout: must be a finite number in \[0, 1\); got 1$/m],
    ['an output activation the trainer replaces', { network: { name: 'unet2d', options: { outputActivation: 'softmax' } } }, /^ {2}network\.options\.outputActivation: must stay 'none' .*; got 'softmax'$/m],
    ['a patch the network cannot take', { patchSize: [40, 32] }, /^ {2}patchSize: unet2d: input size 40 is not divisible by 2\^4 = 16$/m],
    ['3D phantoms for a 2D network', { data: { synthetic: { dims: 3, foregroundFraction: 0.01 } } }, /^ {2}data\.synthetic\.dims: must be 2 for unet2d \(a 2D network\); got 3$/m],
    ['a patch smaller than the network', { network: { name: 'twoPathCnn' }, patchSize: [12, 12] }, /^ {2}patchSize: twoPathCnn: input size 12 is smaller than the minimum 13/m],
  ])('checks the layers\' options and the patch at the door: %s', (_name, change, message) => {
    expect(() => parseTrainingConfig({ ...minimal, ...change }, 'c.yaml')).toThrow(message);
    expect(() => parseTrainingConfig({ ...minimal, ...change }, 'c.yaml')).toThrow(/^c\.yaml: invalid training configuration\n/);
  });

  it('the door checks build no tensor', async () => {
    const tf = await import('@tensorflow/tfjs');
    const before = tf.memory().numTensors;
    parseTrainingConfig({ ...minimal, network: { name: 'highResNet' }, patchSize: [32, 32, 32], data: { synthetic: { dims: 3, foregroundFraction: 0.01 } } });
    expect(() => parseTrainingConfig({ ...minimal, loss: { name: 'gdl', options: { weightType: 'squared' } } })).toThrow();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('learning-rate schedules', () => {
    const step = parseTrainingConfig({ ...minimal, optimizer: { learningRate: 1, schedule: { type: 'step', stepSize: 3, gamma: 0.5 } } }).optimizer;
    expect([0, 2, 3, 6, 9].map((i) => learningRateAt(step, i, 10))).toEqual([1, 1, 0.5, 0.25, 0.125]);
    const poly = parseTrainingConfig({ ...minimal, optimizer: { learningRate: 1, schedule: { type: 'poly', power: 1 } } }).optimizer;
    expect(learningRateAt(poly, 5, 10)).toBeCloseTo(0.5, 12);
  });

  const dir = mkdtempSync(join(tmpdir(), 'gendice-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads YAML and JSON files, and names the file in errors', () => {
    const yaml = join(dir, 'c.yaml');
    writeFileSync(yaml, 'network: {name: unet2d}\nloss: {name: dice}\noptimizer: {learningRate: 0.001}\niterations: 5\nbatchSize: 1\npatchSize: [16, 16]\ndata: {synthetic: {dims: 2, foregroundFraction: 0.05}}\n');
    expect(readTrainingConfig(yaml).loss.name).toBe('dice');
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"iterations": ');
    expect(() => readTrainingConfig(bad)).toThrow(/bad\.json: not valid JSON/);
    expect(() => readTrainingConfig(join(dir, 'missing.json'))).toThrow(/missing\.json: cannot read the configuration/);
  });
});
