import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../common/atomicWrite.js';
import { loadModel, saveModel } from '../networks/modelFiles.js';

/** What a checkpoint holds besides the model and the optimizer's slots. */
export interface CheckpointState {
  /** Iterations completed. */
  iteration: number;
  /** The patch sampler's state (random generator and counters). */
  sampler: unknown;
  /** Optimizer kind and its configuration, to rebuild it. */
  optimizer: { name: string; learningRate: number };
  /** The engine that produced it (resuming on another engine is allowed, not bit-identical). */
  engine: string;
  /** When it was written (ISO time). */
  writtenAt: string;
}

export const CHECKPOINTS_DIR = 'checkpoints';
const LATEST = 'latest.json';

function checkpointName(iteration: number): string {
  return `iter-${String(iteration).padStart(7, '0')}`;
}

/**
 * Writes a checkpoint under `outDir/checkpoints/iter-NNNNNNN/` (model.json, weights.bin,
 * optimizer.json, optimizer.bin, state.json): first into a temporary folder, renamed when complete;
 * then `latest.json` is replaced atomically to point at it, and older checkpoints beyond `keep` are
 * removed. A crash at any moment leaves `latest.json` naming a complete checkpoint.
 */
export async function saveCheckpoint(
  outDir: string,
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  state: CheckpointState,
  keep: number,
): Promise<string> {
  const root = join(outDir, CHECKPOINTS_DIR);
  mkdirSync(root, { recursive: true });
  const name = checkpointName(state.iteration);
  const tmp = join(root, `.tmp-${name}-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  await saveModel(model, tmp);
  const weights = await optimizer.getWeights();
  const { data, specs } = await tf.io.encodeWeights(weights);
  writeFileSync(join(tmp, 'optimizer.bin'), new Uint8Array(data));
  writeFileSync(join(tmp, 'optimizer.json'), JSON.stringify({ specs }));
  tf.dispose(weights.filter((w) => w.name === 'iter').map((w) => w.tensor));
  writeFileSync(join(tmp, 'state.json'), JSON.stringify(state));
  const final = join(root, name);
  rmSync(final, { recursive: true, force: true });
  renameSync(tmp, final);
  writeFileAtomic(join(root, LATEST), JSON.stringify({ iteration: state.iteration, dir: name }));
  const all = readdirSync(root).filter((d) => /^iter-\d+$/.test(d)).sort();
  for (const old of all.slice(0, Math.max(0, all.length - keep))) rmSync(join(root, old), { recursive: true, force: true });
  return final;
}

export interface LoadedCheckpoint {
  dir: string;
  model: tf.LayersModel;
  /** The optimizer's weights (iteration count and slots), for `optimizer.setWeights`. */
  optimizerWeights: Array<{ name: string; tensor: tf.Tensor }>;
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

/** Reads a checkpoint folder written by `saveCheckpoint`. */
export async function loadCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  for (const f of ['model.json', 'weights.bin', 'optimizer.json', 'optimizer.bin', 'state.json']) {
    if (!existsSync(join(dir, f))) throw new Error(`loadCheckpoint: ${join(dir, f)} is missing; the checkpoint is incomplete`);
  }
  const model = await loadModel(dir);
  const { specs } = JSON.parse(readFileSync(join(dir, 'optimizer.json'), 'utf8')) as { specs: tf.io.WeightsManifestEntry[] };
  const bytes = readFileSync(join(dir, 'optimizer.bin'));
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const map = tf.io.decodeWeights(buffer, specs);
  const optimizerWeights = specs.map((s) => ({ name: s.name, tensor: map[s.name]! }));
  const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as CheckpointState;
  return { dir, model, optimizerWeights, state };
}
