import { copyFileSync, existsSync, linkSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { removeWriteLeftovers, syncFolder, writeFolderAtomic } from '../../common/node/atomicWrite.js';
import { writePostprocessing } from '../../inference/node/postprocessingFile.js';
import type { PostprocessingPlan } from '../../inference/postprocessing.js';

/** The folder of the best model of a run (the last one is `model/`). */
export const BEST_MODEL_DIR = 'model-best';
/** What `model-best/` says about itself: the iteration and the validation Dice it was chosen for. */
export const SELECTION_FILE = 'selection.json';
/** Prefix of the copy of `model-best/`'s files inside a checkpoint folder. */
const CHECKPOINT_PREFIX = 'best-';

/** A validated model: iteration and mean foreground Dice on the validation cases (overall and per structure). */
export interface ValidatedModel {
  iteration: number;
  dice: number;
  dicePerClass: number[];
}

/** The model-selection state a checkpoint holds (`state.json`'s `selection`), so that a resume selects as the uninterrupted run. */
export interface SelectionState {
  /** The best validation pass so far (null before the first pass with a finite Dice). */
  best: ValidatedModel | null;
  /** Validation passes since the best one (all passes while there is none). */
  passesSinceBest: number;
  /** Set when early stopping ended the run. */
  stopped: { iteration: number; reason: string } | null;
  /** The post-processing decided on the latest validation pass (the last model's). */
  lastPostprocessing: PostprocessingPlan | null;
}

/** What `result.json` says about the two models (`selection`). */
export interface SelectionSummary {
  /** `model/`: the model at the last iteration run, with the final validation pass (dice NaN without validation cases). `modelDir` is relative to the run folder. */
  last: ValidatedModel & { modelDir: string };
  /** `model-best/`: highest mean foreground Dice of all validation passes (the earliest of equal ones); null before a pass with a finite Dice. */
  best: (ValidatedModel & { modelDir: string }) | null;
  /** Why and when the run stopped before `iterations`; null when it ran to the end. */
  stopped: { iteration: number; reason: string } | null;
  patience: number | null;
}

export interface ValidationOutcome {
  improved: boolean;
  /** Set when this pass ends the run (early stopping). */
  stop?: string;
}

const initialState = (): SelectionState => ({ best: null, passesSinceBest: 0, stopped: null, lastPostprocessing: null });

/** JSON (state.json) turns NaN into null: back to NaN for numbers that may be NaN. */
function reviveState(raw: unknown): SelectionState {
  if (raw === undefined || raw === null) return initialState();
  const s = raw as SelectionState;
  const num = (v: unknown): number => (typeof v === 'number' ? v : Number.NaN);
  const plan = (p: PostprocessingPlan | null): PostprocessingPlan | null =>
    p === null ? null : { ...p, structures: p.structures.map((x) => ({ ...x, diceBefore: num(x.diceBefore), diceAfter: num(x.diceAfter) })) };
  return {
    best: s.best === null ? null : { ...s.best, dicePerClass: s.best.dicePerClass.map(num) },
    passesSinceBest: s.passesSinceBest,
    stopped: s.stopped,
    lastPostprocessing: plan(s.lastPostprocessing),
  };
}

/**
 * Model selection over a run's validation passes: the model of the pass with the highest mean
 * foreground Dice is written to `model-best/` (atomically, as soon as it is found), and with
 * `patience` the run stops after that many passes without a higher Dice. Its state goes into every
 * checkpoint, with a copy (hard links where the file system allows) of `model-best/`'s files, so that
 * a resume from any checkpoint selects and stops exactly as the uninterrupted run.
 */
export class ModelSelection {
  private state: SelectionState;

  constructor(
    readonly outDir: string,
    readonly patience: number | undefined,
    state?: unknown,
  ) {
    this.state = reviveState(state);
  }

  get stopped(): SelectionState['stopped'] {
    return this.state.stopped;
  }

  get bestDir(): string {
    return join(this.outDir, BEST_MODEL_DIR);
  }

  getState(): SelectionState {
    return structuredClone(this.state);
  }

  /**
   * Records a validation pass of the model at `pass.iteration`, with the post-processing decided on its
   * predictions. A higher Dice than the best so far (the first finite one counts) writes `model-best/`
   * (the model through `writeModel`, `selection.json`, `postprocessing.json`). No pass stops the run at
   * `finalIteration` (it ends there anyway).
   */
  async afterValidation(
    pass: ValidatedModel,
    finalIteration: number,
    postprocessing: PostprocessingPlan | undefined,
    writeModel: (dir: string) => Promise<void>,
  ): Promise<ValidationOutcome> {
    const { best } = this.state;
    const improved = Number.isFinite(pass.dice) && (best === null || pass.dice > best.dice);
    this.state.lastPostprocessing = postprocessing ?? null;
    if (improved) {
      await writeFolderAtomic(this.bestDir, async (tmp) => {
        await writeModel(tmp);
        writeFileSync(join(tmp, SELECTION_FILE), `${JSON.stringify(pass, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`);
        if (postprocessing !== undefined) writePostprocessing(tmp, postprocessing);
      });
      this.state.best = { iteration: pass.iteration, dice: pass.dice, dicePerClass: [...pass.dicePerClass] };
      this.state.passesSinceBest = 0;
      return { improved };
    }
    this.state.passesSinceBest++;
    if (this.patience !== undefined && this.state.passesSinceBest >= this.patience && pass.iteration < finalIteration) {
      const was = this.state.best === null ? 'no finite Dice yet' : `best ${this.state.best.dice.toFixed(4)} at iteration ${this.state.best.iteration}`;
      const reason = `early stopping: no higher validation Dice in ${this.patience} validation pass(es) (validation.patience ${this.patience}; ${was})`;
      this.state.stopped = { iteration: pass.iteration, reason };
      return { improved, stop: reason };
    }
    return { improved };
  }

  /** The post-processing of the last model (written into `model/` with it), if one was decided. */
  get lastPostprocessing(): PostprocessingPlan | undefined {
    return this.state.lastPostprocessing ?? undefined;
  }

  /** Puts a copy of `model-best/`'s files into a checkpoint folder being built (`best-<file>`). */
  addToCheckpoint(tmp: string): void {
    if (this.state.best === null || !existsSync(this.bestDir)) return;
    for (const f of readdirSync(this.bestDir)) {
      const target = join(tmp, CHECKPOINT_PREFIX + f);
      try {
        linkSync(join(this.bestDir, f), target);
      } catch {
        copyFileSync(join(this.bestDir, f), target);
      }
    }
  }

  /** The selection of a new run: a `model-best/` left by an earlier attempt in the folder is removed. */
  static fresh(outDir: string, patience: number | undefined): ModelSelection {
    const selection = new ModelSelection(outDir, patience);
    if (existsSync(selection.bestDir)) {
      rmSync(selection.bestDir, { recursive: true, force: true });
      syncFolder(outDir);
    }
    return selection;
  }

  /**
   * The selection of a resumed run, from its checkpoint: `model-best/` is made what the checkpoint
   * holds (restored from its copy when a pass after the checkpoint replaced it; removed when the
   * checkpoint had no best model yet), since the resumed run redoes those passes.
   */
  static async resumed(outDir: string, checkpointDir: string, state: unknown, patience: number | undefined): Promise<ModelSelection> {
    const selection = new ModelSelection(outDir, patience, state);
    const dir = selection.bestDir;
    if (existsSync(dir)) removeWriteLeftovers(dir);
    const saved = readdirSync(checkpointDir).filter((f) => f.startsWith(CHECKPOINT_PREFIX));
    if (selection.state.best === null || saved.length === 0) {
      if (existsSync(dir)) {
        rmSync(dir, { recursive: true, force: true });
        syncFolder(outDir);
      }
      return selection;
    }
    const current = join(dir, SELECTION_FILE);
    const copy = join(checkpointDir, CHECKPOINT_PREFIX + SELECTION_FILE);
    if (!existsSync(current) || readFileSync(current, 'utf8') !== readFileSync(copy, 'utf8')) {
      await writeFolderAtomic(dir, (tmp) => {
        for (const f of saved) copyFileSync(join(checkpointDir, f), join(tmp, f.slice(CHECKPOINT_PREFIX.length)));
      });
    }
    return selection;
  }

  /** `result.json`'s account of the two models. */
  summary(last: ValidatedModel, modelDir: string): SelectionSummary {
    const { best, stopped } = this.state;
    return {
      last: { ...last, modelDir: relative(this.outDir, modelDir) },
      best: best === null ? null : { ...best, modelDir: BEST_MODEL_DIR },
      stopped,
      patience: this.patience ?? null,
    };
  }
}

/** The lines `gendice train` prints about the two models and an early stop. */
export function selectionSummaryLines(s: SelectionSummary, outDir: string): string[] {
  const dice = (d: number): string => (Number.isFinite(d) ? d.toFixed(4) : 'n/a');
  const lines = s.best === null ? [] : [`best model: ${join(outDir, s.best.modelDir)} (iteration ${s.best.iteration}, validation Dice ${dice(s.best.dice)})`];
  if (s.stopped !== null) lines.push(`stopped at iteration ${s.stopped.iteration}: ${s.stopped.reason}`);
  return lines;
}
