import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelSelection, selectionSummaryLines } from '../../src/training/node/modelSelection.js';

const root = mkdtempSync(join(tmpdir(), 'gendice-selection-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A stand-in for the model: a file naming the iteration it was written at. */
const writer = (iteration: number) => (dir: string): Promise<void> => {
  writeFileSync(join(dir, 'weights.bin'), `weights of iteration ${iteration}`);
  return Promise.resolve();
};

/** Feeds validation passes (every 10 iterations, run of `final`) and returns the outcomes. */
async function feed(selection: ModelSelection, dices: number[], final = 1000, from = 0): Promise<Array<{ improved: boolean; stop?: string }>> {
  const out = [];
  for (const [k, dice] of dices.entries()) {
    const iteration = (from + k + 1) * 10;
    out.push(await selection.afterValidation({ iteration, dice, dicePerClass: [dice, dice / 2] }, final, undefined, writer(iteration)));
    if (selection.stopped) break;
  }
  return out;
}

const bestWeights = (dir: string): string => readFileSync(join(dir, 'model-best', 'weights.bin'), 'utf8');

describe('ModelSelection', () => {
  it('keeps the model of the highest Dice of a non-monotone sequence (the earliest of equal ones)', async () => {
    const dir = join(root, 'best');
    mkdirSync(dir);
    const s = ModelSelection.fresh(dir, undefined);
    const outcomes = await feed(s, [Number.NaN, 0.2, 0.5, 0.3, 0.5, 0.4]);
    expect(outcomes.map((o) => o.improved)).toEqual([false, true, true, false, false, false]);
    expect(bestWeights(dir)).toBe('weights of iteration 30');
    expect(JSON.parse(readFileSync(join(dir, 'model-best', 'selection.json'), 'utf8'))).toEqual({ iteration: 30, dice: 0.5, dicePerClass: [0.5, 0.25] });
    const summary = s.summary({ iteration: 60, dice: 0.4, dicePerClass: [0.4, 0.2] }, join(dir, 'model'));
    expect(summary).toEqual({
      last: { iteration: 60, dice: 0.4, dicePerClass: [0.4, 0.2], modelDir: 'model' },
      best: { iteration: 30, dice: 0.5, dicePerClass: [0.5, 0.25], modelDir: 'model-best' },
      stopped: null,
      patience: null,
    });
  });

  it('stops after `patience` passes without a higher Dice, saying why, but never at the last iteration', async () => {
    const dir = join(root, 'patience');
    mkdirSync(dir);
    const s = ModelSelection.fresh(dir, 2);
    const outcomes = await feed(s, [0.2, 0.5, 0.3, 0.6, 0.6, 0.1, 0.9]);
    expect(outcomes).toHaveLength(6);
    expect(s.stopped).toEqual({ iteration: 60, reason: 'early stopping: no higher validation Dice in 2 validation pass(es) (validation.patience 2; best 0.6000 at iteration 40)' });
    expect(outcomes[5]!.stop).toBe(s.stopped!.reason);
    expect(bestWeights(dir)).toBe('weights of iteration 40');
    expect(selectionSummaryLines(s.summary({ iteration: 60, dice: 0.1, dicePerClass: [0.1] }, join(dir, 'model')), dir)).toEqual([
      `best model: ${join(dir, 'model-best')} (iteration 40, validation Dice 0.6000)`,
      `stopped at iteration 60: ${s.stopped!.reason}`,
    ]);
    // A pass at the final iteration ends the run anyway: no early stop is reported there.
    const end = ModelSelection.fresh(join(root, 'patience-end'), 1);
    mkdirSync(end.outDir, { recursive: true });
    await feed(end, [0.5, 0.4], 20);
    expect(end.stopped).toBeNull();
  });

  it('continues from its state as the uninterrupted selection (state through JSON, NaN included)', async () => {
    const dices = [Number.NaN, 0.3, 0.2, 0.4, 0.1, 0.1, 0.05];
    const whole = join(root, 'whole');
    mkdirSync(whole);
    const a = ModelSelection.fresh(whole, 3);
    await feed(a, dices);
    for (let cut = 1; cut < 6; cut++) {
      const dir = join(root, `cut-${cut}`);
      mkdirSync(dir);
      const b = ModelSelection.fresh(dir, 3);
      await feed(b, dices.slice(0, cut));
      const c = new ModelSelection(dir, 3, JSON.parse(JSON.stringify(b.getState())));
      await feed(c, dices.slice(cut), 1000, cut);
      expect(c.getState(), `cut after pass ${cut}`).toEqual(a.getState());
      expect(bestWeights(dir)).toBe(bestWeights(whole));
    }
    expect(a.stopped!.iteration).toBe(70);
  });

  it('resumed() puts back the checkpoint copy of model-best when a later pass replaced it, and removes one written before any best', async () => {
    const dir = join(root, 'restore');
    const checkpoint = join(dir, 'checkpoints', 'iter-0000020');
    mkdirSync(checkpoint, { recursive: true });
    const s = ModelSelection.fresh(dir, undefined);
    await feed(s, [0.2, 0.1]);
    s.addToCheckpoint(checkpoint);
    const state = JSON.parse(JSON.stringify(s.getState())) as unknown;
    // A pass after the checkpoint found a better model (the resumed run redoes it).
    await feed(s, [0.9], 1000, 2);
    expect(bestWeights(dir)).toBe('weights of iteration 30');
    await ModelSelection.resumed(dir, checkpoint, state, undefined);
    expect(bestWeights(dir)).toBe('weights of iteration 10');
    // A checkpoint from before any best: model-best is removed.
    const early = join(dir, 'checkpoints', 'iter-0000005');
    mkdirSync(early);
    await ModelSelection.resumed(dir, early, undefined, undefined);
    expect(existsSync(join(dir, 'model-best'))).toBe(false);
  });
});
