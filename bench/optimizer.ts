/**
 * `npm run --silent bench -- optimizer [--json] [--repeats N] [--models unet2d,unet3d]`: one Adam and one
 * SGD-momentum update of all trainable weights of bench/engine.ts's U-Nets on the native engine:
 * gendice's TrainingOptimizer with the fused native pass (src/engine/optimizerUpdate.ts), the same
 * optimizer composed from TF.js kernels (the path of every other engine), and TF.js's own
 * `tf.train.adam` / `tf.train.momentum`. Median ms per update and the ratio to the composed path, all
 * measured in this one run (on a loaded machine compare ratios only).
 */
import * as tf from '@tensorflow/tfjs';
import { loadAddon } from '../src/engine/node/addon.js';
import { selectEngine } from '../src/engine/node/index.js';
import { setNativeOptimizerUpdate } from '../src/engine/optimizerUpdate.js';
import { createOptimizer } from '../src/training/optimizer.js';
import { type BenchRow, note, printRows, timeMs } from './_common.js';
import { buildModel, ENGINE_MODELS } from './engine.js';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const repeats = Number(arg('repeats') ?? 7);
const models = (arg('models') ?? 'unet2d,unet3d').split(',');

await selectEngine({ engine: 'native', quiet: true });
const addon = loadAddon();
const fusedUpdate = addon.ok && addon.addon.optimizerUpdate !== undefined ? addon.addon.optimizerUpdate.bind(addon.addon) : undefined;
if (fusedUpdate === undefined) note('bench optimizer: the addon has no optimizerUpdate (rebuild with npm run build:native): fused rows skipped');

const rows: BenchRow[] = [];
for (const spec of ENGINE_MODELS.filter((m) => models.includes(m.name))) {
  const model = buildModel(spec);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const parameters = variables.reduce((n, v) => n + v.size, 0);
  const grads: tf.NamedTensorMap = Object.fromEntries(variables.map((v, i) => [v.name, tf.randomNormal(v.shape, 0, 1e-3, 'float32', i)]));
  for (const name of ['adam', 'sgd'] as const) {
    const times: Record<string, number> = {};
    for (const path of ['composed', 'fused'] as const) {
      if (path === 'fused' && fusedUpdate === undefined) continue;
      setNativeOptimizerUpdate(path === 'fused' ? fusedUpdate : undefined);
      const optimizer = createOptimizer({ name, momentum: 0.9 });
      times[path] = await timeMs(() => optimizer.applyGradients(variables, grads, 1e-3), repeats, 1);
      optimizer.dispose();
    }
    setNativeOptimizerUpdate(fusedUpdate);
    const reference = name === 'adam' ? tf.train.adam(1e-3) : tf.train.momentum(1e-3, 0.9);
    const list = variables.map((v) => ({ name: v.name, tensor: grads[v.name]! }));
    times.tfjs = await timeMs(() => reference.applyGradients(list), repeats, 1);
    reference.dispose();
    for (const [path, ms] of Object.entries(times)) {
      rows.push({ name: `${spec.name} ${name} ${path}`, parameters, ms, ratioToComposed: ms / times.composed! });
    }
    note(`bench optimizer: ${spec.name} ${name}: ${Object.entries(times).map(([k, v]) => `${k} ${v.toFixed(1)} ms`).join(', ')}`);
  }
  tf.dispose(Object.values(grads));
  model.dispose();
}
printRows('optimizer', rows);
