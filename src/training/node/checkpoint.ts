import * as tf from '@tensorflow/tfjs';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeWriteLeftovers, syncFolder, writeFileAtomic, writeFolderAtomic } from '../../common/node/atomicWrite.js';
import { loadModel, saveModel } from '../../networks/node/modelFiles.js';
import type { OptimizerState, TrainingOptimizer } from '../optimizer.js';
import type { LogCoverage } from './trainLog.js';

/** What a checkpoint holds besides the model and the optimizer's tensors. */
export interface CheckpointState {
  /** Iterations completed (the validation of this iteration, if any, included). */
  iteration: number;
  /** The patch sampler's state (random generator, counters, statistics). */
  sampler: unknown;
  /** The augmenter's state (its generator), when the run augments. */
  augmentation?: unknown;
  /** Optimizer kind and its configuration, to rebuild it. */
  optimizer: { name: string; learningRate: number };
  /** How much of `log.jsonl` the checkpoint covers; resuming cuts the log back to exactly this. */
  log?: LogCoverage;
  /** The engine that produced it (resuming on another engine is allowed, not bit-identical). */
  engine: string;
  /** When it was written (ISO time). */
  writtenAt: string;
  /** Model selection: best validation pass so far, passes since, early stop (`modelSelection.ts`). */
  selection?: unknown;
}

export const CHECKPOINTS_DIR = 'checkpoints';
const LATEST = 'latest.json';
const OPTIMIZER_FORMAT = 'gendice-optimizer-state/1';
const FILES = ['model.json', 'weights.bin', 'optimizer.json', 'optimizer.bin', 'state.json'];

function checkpointName(iteration: number): string {
  return `iter-${String(iteration).padStart(7, '0')}`;
}

/**
 * Writes a checkpoint `outDir/checkpoints/iter-NNNNNNN/` (model.json, weights.bin, optimizer.json,
 * optimizer.bin, state.json) as a unit (`writeFolderAtomic`: built under a temporary name, every file
 * and the folder fsynced, renamed); then `latest.json` is replaced durably to point at it, and older
 * checkpoints beyond `keep` are removed. A crash at any moment leaves `latest.json` naming a complete
 * checkpoint. The optimizer's whole state (step, Adam's β-products and moments, SGD's accumulations)
 * is stored as float32 tensors, so a resumed run continues with exactly the same numbers.
 */
export async function saveCheckpoint(
  outDir: string,
  model: tf.LayersModel,
  optimizer: TrainingOptimizer,
  state: CheckpointState,
  keep: number,
  /** Writes more files into the checkpoint folder being built (model selection's copy of `model-best/`). */
  addFiles?: (tmpDir: string) => void,
): Promise<string> {
  const root = join(outDir, CHECKPOINTS_DIR);
  const name = checkpointName(state.iteration);
  const final = join(root, name);
  await writeFolderAtomic(final, async (tmp) => {
    await saveModel(model, tmp);
    const o = optimizer.getState();
    const { data, specs } = await tf.io.encodeWeights(o.tensors);
    writeFileSync(join(tmp, 'optimizer.bin'), new Uint8Array(data));
    writeFileSync(join(tmp, 'optimizer.json'), JSON.stringify({ format: OPTIMIZER_FORMAT, name: o.name, step: o.step, specs }));
    writeFileSync(join(tmp, 'state.json'), JSON.stringify(state));
    addFiles?.(tmp);
  });
  writeFileAtomic(join(root, LATEST), JSON.stringify({ iteration: state.iteration, dir: name }));
  const all = readdirSync(root).filter((d) => /^iter-\d+$/.test(d)).sort();
  const old = all.slice(0, Math.max(0, all.length - keep));
  for (const d of old) rmSync(join(root, d), { recursive: true, force: true });
  if (old.length > 0) syncFolder(root);
  return final;
}

export interface LoadedCheckpoint {
  dir: string;
  model: tf.LayersModel;
  /** The optimizer's state, for `TrainingOptimizer.setState` (the caller disposes its tensors). */
  optimizer: OptimizerState;
  state: CheckpointState;
}

/** The newest complete checkpoint of a training output folder, or undefined if there is none. */
export function latestCheckpointDir(outDir: string): string | undefined {
  const latest = join(outDir, CHECKPOINTS_DIR, LATEST);
  if (!existsSync(latest)) return undefined;
  let parsed: { dir?: unknown };
  try {
    parsed = JSON.parse(readFileSync(latest, 'utf8')) as { dir?: unknown };
  } catch (err) {
    throw new Error(`loadCheckpoint: ${latest} is not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (typeof parsed.dir !== 'string' || !/^iter-\d+$/.test(parsed.dir)) throw new Error(`loadCheckpoint: ${latest} does not name a checkpoint folder`);
  return join(outDir, CHECKPOINTS_DIR, parsed.dir);
}

/**
 * Clears what killed writes left in a training folder: temporary files and folders (`.tmp-iter-*`,
 * `.config.json.*.tmp`, ...) in the folder, in `checkpoints/` and in `model/`, and checkpoint folders
 * newer than the one `latest.json` names (written by a run killed before it updated `latest.json`; the
 * resumed run writes them again). Returns the paths removed.
 */
export function removeRunLeftovers(outDir: string): string[] {
  const removed: string[] = [];
  for (const dir of [outDir, join(outDir, CHECKPOINTS_DIR), join(outDir, 'model')]) removed.push(...removeWriteLeftovers(dir).map((n) => join(dir, n)));
  const latest = latestCheckpointDir(outDir);
  const root = join(outDir, CHECKPOINTS_DIR);
  if (existsSync(root)) {
    const newer = readdirSync(root).filter((d) => /^iter-\d+$/.test(d) && (latest === undefined || join(root, d) > latest));
    for (const d of newer) rmSync(join(root, d), { recursive: true, force: true });
    if (newer.length > 0) syncFolder(root);
    removed.push(...newer.map((d) => join(root, d)));
  }
  return removed;
}

/**
 * The optimizer state of a checkpoint. Checkpoints of gendice before the explicit optimizer state hold
 * TF.js's `getWeights()` list (`iter`, then the slots): read with Adam's β-products recomputed as TF.js
 * did (`β^(t+1)`), so such a resume continues, but not bit-identically.
 */
function readOptimizerState(dir: string, name: string): OptimizerState {
  const path = join(dir, 'optimizer.json');
  const meta = JSON.parse(readFileSync(path, 'utf8')) as { format?: string; name?: string; step?: number; specs: tf.io.WeightsManifestEntry[] };
  const bytes = readFileSync(join(dir, 'optimizer.bin'));
  const map = tf.io.decodeWeights(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), meta.specs);
  const tensors = meta.specs.map((s) => ({ name: s.name, tensor: map[s.name]! }));
  if (meta.format === OPTIMIZER_FORMAT) {
    if ((meta.name !== 'adam' && meta.name !== 'sgd') || typeof meta.step !== 'number') {
      tf.dispose(tensors.map((t) => t.tensor));
      throw new Error(`loadCheckpoint: ${path} names optimizer '${String(meta.name)}' at step ${String(meta.step)}; expected 'adam' or 'sgd' and a step`);
    }
    return { name: meta.name, step: meta.step, tensors };
  }
  if (meta.format !== undefined || tensors[0]?.name !== 'iter') {
    tf.dispose(tensors.map((t) => t.tensor));
    throw new Error(`loadCheckpoint: ${path} has format '${String(meta.format)}'; this gendice reads '${OPTIMIZER_FORMAT}' and the older TF.js list`);
  }
  const [iter, ...slots] = tensors;
  const step = iter!.tensor.dataSync()[0]!;
  iter!.tensor.dispose();
  const optimizer = name === 'adam' ? 'adam' : 'sgd';
  const powers = optimizer === 'adam' ? [0.9, 0.999].map((b, k) => ({ name: `beta${k + 1}Power`, tensor: tf.scalar(Math.fround(b) ** (step + 1)) })) : [];
  return { name: optimizer, step, tensors: [...powers, ...slots] };
}

/** Reads a checkpoint folder written by `saveCheckpoint`; errors name the missing or bad file. */
export async function loadCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  for (const f of FILES) {
    if (!existsSync(join(dir, f))) throw new Error(`loadCheckpoint: ${join(dir, f)} is missing; the checkpoint is incomplete`);
  }
  const statePath = join(dir, 'state.json');
  let state: CheckpointState;
  try {
    state = JSON.parse(readFileSync(statePath, 'utf8')) as CheckpointState;
  } catch (err) {
    throw new Error(`loadCheckpoint: ${statePath} is not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!Number.isInteger(state.iteration) || state.iteration < 0) throw new Error(`loadCheckpoint: ${statePath}: iteration must be an integer ≥ 0, got ${String(state.iteration)}`);
  const model = await loadModel(dir);
  const optimizer = readOptimizerState(dir, state.optimizer?.name ?? 'adam');
  return { dir, model, optimizer, state };
}
