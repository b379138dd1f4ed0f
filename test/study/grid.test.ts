import { describe, expect, it } from 'vitest';
import { expandGrid, getPreset, parseStudyConfig, presetNames, trialId, trialTrainingConfig } from '../../src/study/index.js';
import { parseTrainingConfig } from '../../src/training/index.js';

const base = {
  name: 't',
  data: { synthetic: { dims: 2, cases: 4, size: 32, foregroundFraction: 0.03 } },
  networks: [
    { name: 'unet2d', options: { depth: 2 }, patches: [{ patchSize: [16, 16], batchSize: 4 }, { patchSize: [32, 32], batchSize: 1 }] },
    { name: 'twoPathCnn', patches: [{ patchSize: [33, 33], batchSize: 2 }] },
  ],
  losses: [{ name: 'wce' }, { name: 'gdl', options: { weightType: 'simple' } }],
  learningRates: [1e-3, 1e-4, 1e-5],
  seeds: [1, 2],
  iterations: 20,
};

describe('study grid', () => {
  it('expands seeds × networks × patches × losses × learning rates in a stable order', () => {
    const grid = expandGrid(parseStudyConfig(base));
    expect(grid).toHaveLength((2 + 1) * 2 * 3 * 2);
    expect(grid[0]!.parameters).toMatchObject({ network: 'unet2d', patchSize: [16, 16], batchSize: 4, loss: 'wce', learningRate: 1e-3, seed: 1 });
    expect(grid[1]!.parameters).toMatchObject({ seed: 1, learningRate: 1e-4 });
    expect(grid[3]!.parameters).toMatchObject({ seed: 1, loss: 'gdl', learningRate: 1e-3 });
    expect(grid[grid.length / 2]!.parameters).toMatchObject({ seed: 2, network: 'unet2d', loss: 'wce', learningRate: 1e-3 });
    expect(grid[grid.length - 1]!.parameters).toMatchObject({ network: 'twoPathCnn', loss: 'gdl', lossOptions: { weightType: 'simple' }, learningRate: 1e-5, seed: 2 });
    expect(new Set(grid.map((t) => t.id)).size).toBe(grid.length);
    expect(grid[0]!.id).toMatch(/^unet2d-wce-lr1e-3-p16x16-b4-s1-[0-9a-f]{6}$/);
  });

  it('trial ids are stable and change when any parameter changes', () => {
    const p = expandGrid(parseStudyConfig(base))[0]!.parameters;
    expect(trialId(p)).toBe(trialId({ ...p }));
    expect(trialId({ ...p, iterations: 21 })).not.toBe(trialId(p));
    expect(trialId({ ...p, networkOptions: { depth: 3 } })).not.toBe(trialId(p));
  });

  it('each trial becomes a valid training configuration with the shared data seed', () => {
    const study = parseStudyConfig({ ...base, splitSeed: 9 });
    for (const t of expandGrid(study)) {
      const c = parseTrainingConfig(trialTrainingConfig(study, t.parameters));
      expect(c.dataSeed).toBe(9);
      expect(c.seed).toBe(t.parameters.seed);
      expect(c.sampling).toBe('foreground');
      expect(c.patchSize).toEqual(t.parameters.patchSize);
    }
  });

  it('rejects bad studies naming the field', () => {
    expect(() => parseStudyConfig({ ...base, learningRates: [] })).toThrow(/learningRates: /);
    expect(() => parseStudyConfig({ ...base, losses: [{ name: 'gld' }] })).toThrow(/losses\.0\.name: /);
    expect(() => expandGrid(parseStudyConfig({ ...base, seeds: [1, 1] }))).toThrow(/expandGrid: study 't' defines the same trial twice/);
  });

  it.each<[string, object, RegExp]>([
    ['a misspelt loss option value', { losses: [{ name: 'wce' }, { name: 'gdl', options: { weightType: 'squared' } }] }, /^ {2}losses\.1\.options\.weightType: must be one of 'square', 'simple', 'uniform'; got 'squared' \(did you mean 'square'\?\)$/m],
    ['an unknown loss option', { losses: [{ name: 'gdl', options: { weightTyp: 'square' } }] }, /^ {2}losses\.0\.options\.weightTyp: unknown option \(did you mean 'weightType'\?\); known options: /m],
    ['an unknown network option', { networks: [{ name: 'unet2d', options: { dpeth: 2 }, patches: [{ patchSize: [16, 16], batchSize: 1 }] }] }, /^ {2}networks\.0\.options\.dpeth: unknown option \(did you mean 'depth'\?\)/m],
    ['a patch the network cannot take', { networks: [base.networks[0]!, { name: 'unet2d', options: { depth: 3 }, patches: [{ patchSize: [16, 16], batchSize: 1 }, { patchSize: [20, 16], batchSize: 1 }] }] }, /^ {2}networks\.1\.patches\.1\.patchSize: unet2d: input size 20 is not divisible by 2\^3 = 8$/m],
    ['a 3D patch for a 2D network', { networks: [{ name: 'twoPathCnn', patches: [{ patchSize: [65, 65, 65], batchSize: 1 }] }] }, /^ {2}networks\.0\.patches\.0\.patchSize: twoPathCnn: expected 2 spatial sizes, got \[65, 65, 65\]$/m],
  ])('checks the layers\' options and patches at the door: %s', (_name, change, message) => {
    expect(() => parseStudyConfig({ ...base, ...change }, 's.yaml')).toThrow(message);
    expect(() => parseStudyConfig({ ...base, ...change }, 's.yaml')).toThrow(/^s\.yaml: invalid study configuration\n/);
  });

  it('reports every wrong field of a study at once, and a patch only against valid options', () => {
    const change = {
      networks: [{ name: 'unet2d', options: { depth: 'deep' }, patches: [{ patchSize: [20, 20], batchSize: 1 }] }],
      losses: [{ name: 'tversky', options: { alpha: Number.NaN } }],
    };
    let message = '';
    try {
      parseStudyConfig({ ...base, ...change });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message.split('\n')).toEqual([
      'study config: invalid study configuration',
      "  networks.0.options.depth: must be an integer >= 1; got 'deep'",
      '  losses.0.options.alpha: must be a finite number >= 0; got NaN',
    ]);
  });

  it('presets are valid; the paper presets follow the paper protocol', () => {
    expect(presetNames).toEqual(['quick', 'paper-2d', 'paper-3d', 'paper-3d-small']);
    for (const name of presetNames) expect(expandGrid(getPreset(name)).length).toBeGreaterThan(0);
    const p2 = getPreset('paper-2d');
    expect(p2.learningRates).toEqual([1e-3, 1e-4, 1e-5]);
    expect(p2.losses.map((l) => l.name)).toEqual(['wce', 'dl2', 'ss', 'gdl']);
    expect(p2.networks.map((n) => n.name)).toEqual(['unet2d', 'twoPathCnn']);
    expect(p2.networks.every((n) => n.patches.length === 3)).toBe(true);
    expect(p2.iterations).toBe(1000);
    expect(p2.scoreWindow).toBe(200);
    const p3 = getPreset('paper-3d');
    expect(p3.networks.map((n) => n.name)).toEqual(['deepMedic', 'highResNet']);
    expect(p3.iterations).toBe(3000);
    // The scaled 3D study keeps the paper's axes: four losses, three rates, three imbalance levels, its score window.
    const small = getPreset('paper-3d-small');
    expect(small.losses.map((l) => l.name)).toEqual(['wce', 'dl2', 'ss', 'gdl']);
    expect(small.learningRates).toEqual([1e-3, 1e-4, 1e-5]);
    expect(small.networks.map((n) => [n.name, n.patches.length])).toEqual([['deepMedic', 3]]);
    expect(small.scoreWindow).toBe(200);
    expect(small.data).toEqual(p3.data);
    expect(expandGrid(small)).toHaveLength(36);
    expect(() => getPreset('paper2d')).toThrow(/getPreset: name must be one of 'quick', .*; got 'paper2d' \(did you mean 'paper-2d'\?\)/);
  });
});
