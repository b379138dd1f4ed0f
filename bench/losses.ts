/**
 * `npm run bench -- losses [--json] [--repeats N]`: forward + backward time of every loss on
 * [4, 96, 96, 96, 2] and [16, 256, 256, 4] (one-hot targets, softmax logits), voxels/s, and for GDL
 * the ratio to a naive composition of TF.js ops written as a user would (same numbers, checked).
 */
import * as tf from '@tensorflow/tfjs';
import { getLoss, LOSS_NAMES } from '../src/losses/index.js';
import { selectEngine } from '../src/engine/node/index.js';
import { type BenchRow, note, printRows, timeMs } from './_common.js';

await selectEngine();
const repeatsArg = process.argv.indexOf('--repeats');
const repeats = repeatsArg > 0 ? Number(process.argv[repeatsArg + 1]) : 3;

/** GDL (square weights, absent class -> max weight of the image) from plain TF.js ops. */
function naiveGdl(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const axes = Array.from({ length: yPred.rank - 2 }, (_, i) => i + 1);
    const p = tf.softmax(yPred);
    const tp = tf.sum(tf.mul(yTrue, p), axes);
    const ground = tf.sum(yTrue, axes);
    const denominator = tf.add(ground, tf.sum(p, axes));
    const raw = tf.div(1, tf.square(ground));
    const absent = tf.isInf(raw);
    const finite = tf.where(absent, tf.zerosLike(raw), raw);
    const w = tf.where(absent, tf.broadcastTo(tf.max(finite, 1, true), finite.shape), finite);
    const num = tf.add(tf.mul(2, tf.sum(tf.mul(w, tp), 1)), 1e-5);
    const den = tf.add(tf.sum(tf.mul(w, denominator), 1), 1e-5);
    return tf.mean(tf.sub(1, tf.div(num, den)));
  });
}

function inputs(shape: number[]): { yTrue: tf.Tensor; yPred: tf.Tensor } {
  const C = shape[shape.length - 1]!;
  const voxels = shape.slice(0, -1).reduce((a, v) => a * v, 1);
  const labels = new Int32Array(voxels);
  // About 1% foreground spread over the foreground classes.
  for (let i = 0; i < voxels; i++) labels[i] = (i * 2654435761) % 100 === 0 ? 1 + (i % (C - 1)) : 0;
  const yTrue = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), C).reshape(shape).toFloat());
  const yPred = tf.randomNormal(shape, 0, 1, 'float32', 7);
  return { yTrue, yPred };
}

const rows: BenchRow[] = [];
for (const shape of [
  [4, 96, 96, 96, 2],
  [16, 256, 256, 4],
]) {
  const { yTrue, yPred } = inputs(shape);
  const voxels = yPred.size / shape[shape.length - 1]!;
  const tag = `[${shape.join(',')}]`;
  const run = (f: (t: tf.Tensor, p: tf.Tensor) => tf.Tensor) => () => {
    const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => f(yTrue, x) as tf.Scalar)(yPred);
    value.dataSync();
    grad.dataSync();
    tf.dispose([value, grad]);
  };
  let gdlMs = 0;
  for (const name of LOSS_NAMES) {
    if (name === 'dl2' && shape[shape.length - 1] !== 2) continue;
    if (name === 'ss' && shape[shape.length - 1]! > 2) {
      note(`losses: ss on ${tag} uses form 'sum'`);
    }
    const loss = getLoss(name);
    const ms = await timeMs(run(loss), repeats, 1);
    if (name === 'gdl') gdlMs = ms;
    note(`losses: ${name} ${tag} ${ms.toFixed(0)} ms`);
    rows.push({ name: `${name} ${tag}`, loss: name, shape: tag, ms, voxelsPerSecond: voxels / (ms / 1000), ratioToNaiveGdl: null });
  }
  const a = getLoss('gdl')(yTrue, yPred).dataSync()[0]!;
  const b = naiveGdl(yTrue, yPred).dataSync()[0]!;
  if (Math.abs(a - b) > 1e-5) throw new Error(`bench losses: gendice GDL ${a} and naive GDL ${b} disagree`);
  const naiveMs = await timeMs(run(naiveGdl), repeats, 1);
  note(`losses: naive gdl ${tag} ${naiveMs.toFixed(0)} ms`);
  rows.push({ name: `naive-gdl ${tag}`, loss: 'naive-gdl', shape: tag, ms: naiveMs, voxelsPerSecond: voxels / (naiveMs / 1000), ratioToNaiveGdl: 1 });
  const gdlRow = rows.find((r) => r.name === `gdl ${tag}`)!;
  gdlRow.ratioToNaiveGdl = gdlMs / naiveMs;
  tf.dispose([yTrue, yPred]);
}
note(`losses: backend ${tf.getBackend()}`);
printRows('losses', rows);
