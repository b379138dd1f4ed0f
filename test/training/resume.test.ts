import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrainingConfigInput } from '../../src/training/index.js';
import { CHECKPOINTS_DIR, resume, train, TrainLog } from '../../src/training/node/index.js';
import { tinyConfig } from './tinyConfig.js';

const root = mkdtempSync(join(tmpdir(), 'gendice-resume-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Eight iterations of a tiny U-Net on 2D phantoms; validation every 3 (between checkpoints), a test case. */
function config(overrides: Partial<TrainingConfigInput> = {}): TrainingConfigInput {
  return tinyConfig({
    seed: 5,
    data: { synthetic: { dims: 2, cases: 5, size: 24, foregroundFraction: 0.03, lesionShape: 'blobs' }, validationFraction: 0.2, testFraction: 0.2 },
    validation: { every: 3 },
    checkpoint: { every: 2, keep: 100 },
    scoreWindow: 6,
    ...overrides,
  });
}

/**
 * What must be identical between two runs: weights (bytes) of both models, the log without its times,
 * the result without its times and paths, the best model's selection and both post-processing files.
 */
function outcome(dir: string): { weights: Buffer; log: unknown[]; result: Record<string, unknown>; best: Record<string, string | undefined> } {
  const log = new TrainLog(join(dir, 'log.jsonl')).read().map((r) => ({ ...r, ms: undefined }));
  const result = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as Record<string, unknown>;
  for (const k of ['seconds', 'outDir', 'modelDir']) delete result[k];
  const text = (path: string): string | undefined => (existsSync(path) ? readFileSync(path).toString('base64') : undefined);
  const best = {
    weights: text(join(dir, 'model-best', 'weights.bin')),
    selection: text(join(dir, 'model-best', 'selection.json')),
    postprocessing: text(join(dir, 'model-best', 'postprocessing.json')),
    lastPostprocessing: text(join(dir, 'model', 'postprocessing.json')),
  };
  return { weights: readFileSync(join(dir, 'model', 'weights.bin')), log, result, best };
}

/** The outcome of each uninterrupted run of the table below, by name. */
const references = new Map<string, ReturnType<typeof outcome>>();

function expectSameRun(dir: string, reference: ReturnType<typeof outcome>, what: string): void {
  const o = outcome(dir);
  expect(o.weights.equals(reference.weights), `${what}: model weights differ`).toBe(true);
  expect(o.log, what).toEqual(reference.log);
  expect(o.result, what).toEqual(reference.result);
  expect(o.best, what).toEqual(reference.best);
}

/** A copy of a finished run cut back to checkpoint `iteration`, as if it had been killed right after it. */
function cutBack(from: string, to: string, iteration: number): void {
  cpSync(from, to, { recursive: true });
  const name = `iter-${String(iteration).padStart(7, '0')}`;
  for (const d of readdirSync(join(to, CHECKPOINTS_DIR))) if (/^iter-\d+$/.test(d) && d > name) rmSync(join(to, CHECKPOINTS_DIR, d), { recursive: true });
  writeFileSync(join(to, CHECKPOINTS_DIR, 'latest.json'), JSON.stringify({ iteration, dir: name }));
  rmSync(join(to, 'model'), { recursive: true });
  rmSync(join(to, 'result.json'));
}

/** Trains `cfg` uninterrupted into `dir`, recording its events (train N, validation at iteration N, checkpoint, ...) in order. */
async function recordedRun(cfg: TrainingConfigInput, dir: string, events: string[]): Promise<ReturnType<typeof outcome>> {
  await train(cfg, { outDir: dir, onProgress: (p) => events.push(`train ${p.iteration}`), onEvent: (m) => events.push(m.split(':')[0]!.replace(/ \/.*/, '')) });
  return outcome(dir);
}

/** Runs `cfg` into `dir`, kills it (an exception) right after its `k`-th event, then resumes it (or starts again without a checkpoint). */
async function killAndResume(cfg: TrainingConfigInput, dir: string, events: readonly string[], k: number): Promise<void> {
  let seen = 0;
  const kill = (): void => {
    if (seen++ === k) throw new Error(`killed after ${events[k]}`);
  };
  await expect(train(cfg, { outDir: dir, onProgress: kill, onEvent: kill })).rejects.toThrow(`killed after ${events[k]}`);
  expect(existsSync(join(dir, 'result.json'))).toBe(false);
  if (!existsSync(join(dir, CHECKPOINTS_DIR, 'latest.json'))) {
    // Killed before the first checkpoint: the run starts again.
    await train(cfg, { outDir: dir });
  } else {
    await resume(dir);
  }
}

describe.each([
  ['Adam, constant rate', config()],
  ['SGD with momentum, step schedule, batch normalisation', config({
    network: { name: 'unet2d', options: { depth: 2, baseFilters: 4, normalization: 'batch' } },
    optimizer: { name: 'sgd', learningRate: 0.05, momentum: 0.9, schedule: { type: 'step', stepSize: 5, gamma: 0.5 } },
  })],
  // Every transform, often: the augmenter's generator is in the checkpoints (docs/training.md, "Augmentation").
  ['Adam with augmentation', config({
    augmentation: { base: 'default', elastic: { probability: 0.5 }, rotation: { probability: 0.5 }, scaling: { probability: 0.5 }, noise: { probability: 0.5 }, blur: { probability: 0.5 } },
  })],
])('resume from every checkpoint (%s)', (_name, cfg) => {
  const whole = join(root, `whole-${_name.replace(/\W+/g, '-')}`);
  let reference: ReturnType<typeof outcome>;
  beforeAll(async () => {
    await train(cfg, { outDir: whole });
    reference = outcome(whole);
    references.set(_name, reference);
  });

  it('ends bit-identical to the uninterrupted run, each validation and iteration logged once', async () => {
    const validations = reference.log.filter((r) => (r as { type: string }).type === 'validation').map((r) => (r as { iteration: number }).iteration);
    expect(validations).toEqual([3, 6, 8]);
    for (let k = 2; k <= 8; k += 2) {
      const dir = join(root, `cut-${_name.replace(/\W+/g, '-')}-${k}`);
      cutBack(whole, dir, k);
      await resume(dir);
      expectSameRun(dir, reference, `resumed from checkpoint ${k}`);
    }
    if (cfg.augmentation !== undefined) {
      // The augmentation was applied: the same run without it trains differently.
      expect(reference.weights.equals(references.get('Adam, constant rate')!.weights)).toBe(false);
      const state = JSON.parse(readFileSync(join(whole, CHECKPOINTS_DIR, 'iter-0000004', 'state.json'), 'utf8')) as { augmentation?: { random: number } };
      expect(Number.isInteger(state.augmentation?.random)).toBe(true);
    }
  });
});

describe('a run killed at any moment and resumed', () => {
  const cfg = config({ iterations: 6, validation: { every: 3 }, checkpoint: { every: 2, keep: 2 } });
  const whole = join(root, 'kill-whole');
  let reference: ReturnType<typeof outcome>;
  const events: string[] = [];
  beforeAll(async () => {
    reference = await recordedRun(cfg, whole, events);
  });

  it('ends as the uninterrupted run whatever the boundary it was killed at, with every validation once', async () => {
    // Train records, validations, checkpoints and the final model, in the order the run writes them.
    expect(events).toEqual([
      'train 1', 'train 2', 'checkpoint', 'train 3', 'validation at iteration 3', 'train 4', 'checkpoint',
      'train 5', 'train 6', 'validation at iteration 6', 'checkpoint', 'model',
    ]);
    for (let k = 0; k < events.length; k++) {
      const dir = join(root, `kill-${k}`);
      await killAndResume(cfg, dir, events, k);
      expectSameRun(dir, reference, `killed after '${events[k]}'`);
    }
  });

  it('resuming a finished run changes nothing', async () => {
    const dir = join(root, 'finished');
    cpSync(whole, dir, { recursive: true });
    await resume(dir);
    expectSameRun(dir, reference, 'resumed after the end');
  });

  it('removes what killed writes left behind, checkpoints newer than latest.json and a torn log record', async () => {
    const dir = join(root, 'leftovers');
    cutBack(whole, dir, 4);
    const checkpoints = join(dir, CHECKPOINTS_DIR);
    cpSync(join(checkpoints, 'iter-0000004'), join(checkpoints, 'iter-0000006'), { recursive: true });
    mkdirSync(join(checkpoints, '.tmp-iter-0000006-4242-0'));
    writeFileSync(join(checkpoints, '.tmp-iter-0000006-4242-0', 'weights.bin'), '');
    writeFileSync(join(dir, '.result.json.4242-0.0.tmp'), '{');
    mkdirSync(join(dir, '.tmp-model-4242-1'));
    // A record torn by the kill, after the checkpoint's coverage.
    appendFileSync(join(dir, 'log.jsonl'), '{"type":"train","itera');
    await resume(dir);
    expect(readdirSync(checkpoints).sort()).toEqual(['iter-0000004', 'iter-0000006', 'latest.json']);
    expect(readdirSync(dir).filter((n) => n.startsWith('.'))).toEqual([]);
    expectSameRun(dir, reference, 'resumed among leftovers');
  });

  it('refuses a log shorter than its checkpoint says, naming the file', async () => {
    const dir = join(root, 'short-log');
    cutBack(whole, dir, 4);
    truncateSync(join(dir, 'log.jsonl'), 10);
    await expect(resume(dir)).rejects.toThrow(/^TrainLog\.cutTo: .*log\.jsonl holds 10 bytes, 0 complete records in the first 10; the checkpoint covers \d+ bytes and 5 records/);
  });

  it('continues a checkpoint of an older gendice (TF.js optimizer list, no log coverage), every iteration logged once', async () => {
    const dir = join(root, 'legacy');
    cutBack(whole, dir, 4);
    const cp = join(dir, CHECKPOINTS_DIR, 'iter-0000004');
    const meta = JSON.parse(readFileSync(join(cp, 'optimizer.json'), 'utf8')) as { step: number; specs: tf.io.WeightsManifestEntry[] };
    const bin = readFileSync(join(cp, 'optimizer.bin'));
    const map = tf.io.decodeWeights(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength), meta.specs);
    const slots = meta.specs.filter((s) => !s.name.startsWith('beta')).map((s) => ({ name: s.name, tensor: map[s.name]! }));
    const iter = tf.scalar(meta.step, 'int32');
    const { data, specs } = await tf.io.encodeWeights([{ name: 'iter', tensor: iter }, ...slots]);
    tf.dispose([iter, ...Object.values(map)]);
    writeFileSync(join(cp, 'optimizer.bin'), new Uint8Array(data));
    writeFileSync(join(cp, 'optimizer.json'), JSON.stringify({ specs }));
    const state = JSON.parse(readFileSync(join(cp, 'state.json'), 'utf8')) as Record<string, unknown>;
    delete state.log;
    writeFileSync(join(cp, 'state.json'), JSON.stringify(state));
    const r = await resume(dir);
    expect(r.iterations).toBe(6);
    const records = new TrainLog(join(dir, 'log.jsonl')).read();
    expect(records.map((x) => `${x.type} ${x.iteration}`)).toEqual(reference.log.map((x) => `${(x as { type: string }).type} ${(x as { iteration: number }).iteration}`));
  });
});

describe('model selection and early stopping across resumes', () => {
  // Adam at a rate that overshoots: the validation Dice rises, then falls, and patience 3 stops the run.
  // Validation every 2, checkpoints every 3: a best model is often found between two checkpoints.
  const cfg = config({
    iterations: 16,
    optimizer: { learningRate: 3e-2 },
    data: { synthetic: { dims: 2, cases: 5, size: 24, foregroundFraction: 0.03, lesionShape: 'blobs' }, validationFraction: 0.4 },
    validation: { every: 2, patience: 3 },
    checkpoint: { every: 3, keep: 100 },
  });
  const whole = join(root, 'select-whole');
  let reference: ReturnType<typeof outcome>;
  const events: string[] = [];
  beforeAll(async () => {
    reference = await recordedRun(cfg, whole, events);
  });

  it('keeps the best of a non-monotone validation Dice in model-best/, stops after 3 passes without a higher one and says so', async () => {
    const records = new TrainLog(join(whole, 'log.jsonl')).read();
    const passes = records.filter((r) => r.type === 'validation');
    const dices = passes.map((r) => r.dice);
    const best = dices.indexOf(Math.max(...dices));
    // Not monotone: it rose to its best and fell after it.
    expect(best).toBeGreaterThan(0);
    expect(best).toBeLessThan(dices.length - 1);
    expect(dices.slice(best + 1).every((d) => d <= dices[best]!)).toBe(true);
    const bestIteration = passes[best]!.iteration;
    const stop = bestIteration + 3 * 2;
    expect(stop).toBeLessThan(16);
    expect(records.at(-1)).toMatchObject({ type: 'stop', iteration: stop });
    expect((records.at(-1) as { reason: string }).reason).toMatch(/^early stopping: no higher validation Dice in 3 validation pass\(es\) \(validation.patience 3; best \d\.\d{4} at iteration \d+\)$/);
    expect(records.filter((r) => r.type === 'train').at(-1)!.iteration).toBe(stop);
    const result = reference.result as { iterations: number; selection: Record<string, { iteration: number; dice: number; dicePerClass: number[] }> & { stopped: { iteration: number; reason: string } } };
    expect(result.iterations).toBe(stop);
    expect(result.selection.best).toMatchObject({ iteration: bestIteration, dice: dices[best], dicePerClass: passes[best]!.dicePerClass, modelDir: 'model-best' });
    expect(result.selection.last).toMatchObject({ iteration: stop, dice: dices.at(-1), modelDir: 'model' });
    expect(result.selection.stopped).toEqual({ iteration: stop, reason: (records.at(-1) as { reason: string }).reason });
    expect(events).toContain(`stopping at iteration ${stop}`);
    // Both folders hold a post-processing decision for the one structure.
    for (const m of ['model', 'model-best']) expect(JSON.parse(readFileSync(join(whole, m, 'postprocessing.json'), 'utf8')).structures).toHaveLength(1);
  });

  it('model-best/ holds the weights of the best iteration (a run checkpointed at every iteration, otherwise the same)', async () => {
    const dense = join(root, 'select-dense');
    await train({ ...cfg, checkpoint: { every: 1, keep: 100 } }, { outDir: dense });
    expectSameRun(dense, reference, 'checkpoints at every iteration');
    const { iteration } = JSON.parse(readFileSync(join(dense, 'model-best', 'selection.json'), 'utf8')) as { iteration: number };
    const at = readFileSync(join(dense, CHECKPOINTS_DIR, `iter-${String(iteration).padStart(7, '0')}`, 'weights.bin'));
    expect(readFileSync(join(dense, 'model-best', 'weights.bin')).equals(at)).toBe(true);
    expect(readFileSync(join(dense, 'model', 'weights.bin')).equals(at)).toBe(false);
  });

  it('ends identical (both models, log, result) resumed from every checkpoint, model-best/ already ahead of it', async () => {
    const checkpoints = readdirSync(join(whole, CHECKPOINTS_DIR)).filter((d) => /^iter-/.test(d)).map((d) => Number(d.slice(5)));
    expect(checkpoints.at(-1)).toBe((reference.result as { iterations: number }).iterations);
    let ahead = 0;
    for (const k of checkpoints) {
      const dir = join(root, `select-cut-${k}`);
      cutBack(whole, dir, k);
      if ((JSON.parse(readFileSync(join(dir, 'model-best', 'selection.json'), 'utf8')) as { iteration: number }).iteration > k) ahead++;
      await resume(dir);
      expectSameRun(dir, reference, `resumed from checkpoint ${k}`);
    }
    // The best model of a pass after the checkpoint is on disk: the resume first puts back the checkpoint's.
    expect(ahead).toBeGreaterThan(0);
  });

  it('ends identical killed after any validation, checkpoint, stop or model write, or just before a validation, and resumed', async () => {
    expect(events.filter((e) => e.startsWith('validation')).length).toBeGreaterThan(3);
    for (let k = 0; k < events.length; k++) {
      if (events[k]!.startsWith('train') && !events[k + 1]?.startsWith('validation')) continue;
      const dir = join(root, `select-kill-${k}`);
      await killAndResume(cfg, dir, events, k);
      expectSameRun(dir, reference, `killed after '${events[k]}'`);
    }
  });
});
