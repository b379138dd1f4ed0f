/**
 * `npm run bench -- profile [--model unet2d|unet3d] [--engine native|wasm|cpu] [--top N] [--json]`:
 * where one Adam training step of bench/engine.ts's U-Nets spends its time, per TF.js kernel
 * (tf.profile's kernel times, summed over the calls of each kernel), after one warm-up step.
 * The table to read before optimising a kernel: rows with `name` (kernel), `ms`, `calls`, `share`.
 */
import * as tf from '@tensorflow/tfjs';
import { selectEngine, type EngineName } from '../src/engine/index.js';
import { ENGINE_MODELS, trainingStep } from './engine.js';
import { note, printRows, type BenchRow } from './_common.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const modelName = arg('model', 'unet3d');
const spec = ENGINE_MODELS.find((m) => m.name === modelName);
if (spec === undefined) throw new Error(`bench profile: --model '${modelName}' is not one of ${ENGINE_MODELS.map((m) => m.name).join(', ')}`);
const top = Number(arg('top', '15'));
await selectEngine({ engine: arg('engine', 'wasm') as EngineName });
const { step } = trainingStep(spec);
step();
const t0 = performance.now();
const profile = await tf.profile(step);
const wall = performance.now() - t0;
const byKernel = new Map<string, { ms: number; calls: number }>();
for (const k of profile.kernels) {
  const e = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
  e.ms += Number(k.kernelTimeMs);
  e.calls++;
  byKernel.set(k.name, e);
}
const total = [...byKernel.values()].reduce((s, e) => s + e.ms, 0);
note(`bench profile: ${spec.name} on ${tf.getBackend()}: ${wall.toFixed(0)} ms profiled step, ${total.toFixed(0)} ms in kernels`);
const rows: BenchRow[] = [...byKernel]
  .sort((a, b) => b[1].ms - a[1].ms)
  .slice(0, top)
  .map(([name, e]) => ({ name, ms: e.ms, calls: e.calls, share: e.ms / total }));
printRows('profile', rows);
