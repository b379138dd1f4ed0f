/**
 * `npm run bench -- networks [--json] [--networks unet2d,highResNet] [--repeats N] [--engine native|wasm|cpu]`:
 * forward (inference) and training-step time (Adam, Generalised Dice loss) of each gendice network
 * in its default configuration at a paper-like patch size — 2D 128² (batch 4), 3D 64³ (batch 1;
 * DeepMedic 63³, the nearest size it accepts) — on the engine `selectEngine()` picks (or forces).
 * Medians of `--repeats` runs (default 3) after one warm-up. Stock `cpu` is very slow here (minutes
 * per 3D step); the engine is printed in every row.
 */
import * as tf from '@tensorflow/tfjs';
import { engineInfo, selectEngine, type EngineName } from '../src/engine/node/index.js';
import { generalizedDiceLoss } from '../src/losses/index.js';
import { getNetwork, getNetworkGeometry, NETWORK_NAMES, type NetworkName } from '../src/networks/index.js';
import { note, printRows, timeMs, type BenchRow } from './_common.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const PATCH: Record<NetworkName, { batch: number; size: number[] }> = {
  unet2d: { batch: 4, size: [128, 128] },
  twoPathCnn: { batch: 4, size: [128, 128] },
  deepMedic: { batch: 1, size: [63, 63, 63] },
  highResNet: { batch: 1, size: [64, 64, 64] },
  unet3d: { batch: 1, size: [64, 64, 64] },
};

async function main(): Promise<void> {
  const requested = arg('networks')?.split(',') ?? [...NETWORK_NAMES];
  const unknown = requested.filter((n) => !(NETWORK_NAMES as readonly string[]).includes(n));
  if (unknown.length > 0) throw new Error(`bench networks: unknown network(s) ${unknown.join(', ')}; expected ${NETWORK_NAMES.join(', ')}`);
  const repeats = Number(arg('repeats') ?? 3);
  const engineArg = arg('engine') as EngineName | undefined;
  await selectEngine(engineArg === undefined ? {} : { engine: engineArg });
  const engine = engineInfo().engine ?? tf.getBackend();
  note(`bench networks: engine ${engine} (${engineInfo().reason}), ${repeats} repeats`);
  const loss = generalizedDiceLoss({ activation: 'none' });
  const rows: BenchRow[] = [];
  for (const name of requested as NetworkName[]) {
    const { batch, size } = PATCH[name];
    const model = getNetwork(name);
    const outSize = getNetworkGeometry(name).outputShapeFor(size);
    const x = tf.randomNormal([batch, ...size, 1], 0, 1, 'float32', 1);
    const y = tf.tidy(() => tf.oneHot(tf.cast(tf.greater(tf.randomUniform([batch, ...outSize], 0, 1, 'float32', 2), 0.99), 'int32'), 2));
    const optimizer = tf.train.adam(1e-4);
    note(`bench networks: ${name} ${batch}×${size.join('×')}, ${model.countParams()} parameters`);
    const forwardMs = await timeMs(() => tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync()), repeats);
    const stepMs = await timeMs(() => {
      const l = optimizer.minimize(() => loss(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true);
      l?.dataSync();
      l?.dispose();
    }, repeats);
    rows.push({ name, engine, input: `${batch}×${size.join('×')}×1`, params: model.countParams(), forwardMs, stepMs });
    note(`bench networks: ${name} forward ${forwardMs.toFixed(0)} ms, step ${stepMs.toFixed(0)} ms`);
    tf.dispose([x, y]);
    optimizer.dispose();
    model.dispose();
  }
  printRows('networks', rows);
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
});
