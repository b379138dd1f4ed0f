/**
 * `npm run bench -- profile [--model unet2d|unet3d|highresnet3d] [--engine native|wasm|cpu] [--top N] [--unfused] [--json]`
 * (default engine: the one selectEngine() picks)
 * `npm run bench -- profile --config train.json [--iterations N] [--engine ...]`
 * Where training time goes, per TF.js kernel. With --model: one Adam step of bench/engine.ts's models
 * (tf.profile, after one warm-up step). With --config: gendice's own `train()` on that configuration for N
 * iterations (default 60), every kernel of the backend timed, so data sampling, the loss and the scores
 * are in. Rows: `name` (kernel, with input dtypes for --config), `ms`, `calls`, `share` of kernel time;
 * with `--unfused` also `unfusedMs`, `unfusedCalls` of a second step without the fused convolutions.
 */
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { fusedConvolutionTuning } from '../src/engine/fusedConvolution.js';
import { selectEngine } from '../src/engine/node/index.js';
import { train } from '../src/training/node/index.js';
import { ENGINE_MODELS, trainingStep } from './engine.js';
import { note, printRows, type BenchRow } from './_common.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

type Totals = Map<string, { ms: number; calls: number }>;

function add(totals: Totals, name: string, ms: number): void {
  const e = totals.get(name) ?? { ms: 0, calls: 0 };
  e.ms += ms;
  e.calls++;
  totals.set(name, e);
}

/**
 * One step of a bench model under tf.profile. With `unfused` (`--unfused`) a second profiled step of the
 * same model without gendice's fused convolution + bias + ReLU (fusedConvolution.ts) right after the
 * first, whose totals come back as the second map.
 */
async function profileModel(modelName: string, unfused: boolean): Promise<[Totals, Totals | undefined]> {
  const spec = ENGINE_MODELS.find((m) => m.name === modelName);
  if (spec === undefined) throw new Error(`bench profile: --model '${modelName}' is not one of ${ENGINE_MODELS.map((m) => m.name).join(', ')}`);
  const { step, dispose } = trainingStep(spec);
  const profiled = async (fused: boolean): Promise<Totals> => {
    fusedConvolutionTuning.enabled = fused;
    step();
    const t0 = performance.now();
    const profile = await tf.profile(step);
    note(`bench profile: ${spec.name} on ${tf.getBackend()}${fused ? '' : ' unfused'}: ${(performance.now() - t0).toFixed(0)} ms profiled step`);
    const totals: Totals = new Map();
    for (const k of profile.kernels) add(totals, k.name, Number(k.kernelTimeMs));
    return totals;
  };
  try {
    const fused = await profiled(true);
    return [fused, unfused ? await profiled(false) : undefined];
  } finally {
    fusedConvolutionTuning.enabled = true;
    dispose();
  }
}

/** `train()` on a configuration with every kernel of the active backend wrapped in a timer. */
async function profileConfig(file: string, iterations: number): Promise<Totals> {
  const totals: Totals = new Map();
  for (const k of tf.getKernelsForBackend(tf.getBackend())) {
    const f = k.kernelFunc;
    (k as { kernelFunc: typeof f }).kernelFunc = (args) => {
      const t0 = performance.now();
      const out = f(args);
      const dtypes = Object.values(args.inputs).map((t) => (t as tf.TensorInfo | undefined)?.dtype ?? '-');
      add(totals, `${k.kernelName}(${dtypes.join(',')})`, performance.now() - t0);
      return out;
    };
  }
  const config = { ...(JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>), iterations };
  const outDir = mkdtempSync(join(tmpdir(), 'gendice-profile-'));
  const t0 = performance.now();
  try {
    await train(config, { outDir });
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
  note(`bench profile: ${file}, ${iterations} iterations on ${tf.getBackend()}: ${(performance.now() - t0).toFixed(0)} ms`);
  return totals;
}

// Through the environment, so that train()'s own selectEngine() sees the same request and keeps these kernels.
const engine = arg('engine', '');
if (engine !== '') process.env.GENDICE_ENGINE = engine;
await selectEngine();
const configFile = arg('config', '');
const [totals, unfused] =
  configFile !== '' ? [await profileConfig(configFile, Number(arg('iterations', '60'))), undefined] : await profileModel(arg('model', 'unet3d'), process.argv.includes('--unfused'));
const sumOf = (t: Totals) => [...t.values()].reduce((s, e) => s + e.ms, 0);
const all = sumOf(totals);
note(`bench profile: ${all.toFixed(0)} ms in kernels (nested kernels count in their callers too)${unfused ? `, ${sumOf(unfused).toFixed(0)} ms unfused` : ''}`);
const names = [...new Set([...totals.keys(), ...(unfused?.keys() ?? [])])];
const rows: BenchRow[] = names
  .map((name) => ({ name, e: totals.get(name) ?? { ms: 0, calls: 0 }, u: unfused?.get(name) }))
  .sort((a, b) => Math.max(b.e.ms, b.u?.ms ?? 0) - Math.max(a.e.ms, a.u?.ms ?? 0))
  .slice(0, Number(arg('top', '15')))
  .map(({ name, e, u }) => ({ name, ms: e.ms, calls: e.calls, share: e.ms / all, ...(unfused ? { unfusedMs: u?.ms ?? 0, unfusedCalls: u?.calls ?? 0 } : {}) }));
printRows('profile', rows);
