import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { selectEngine } from '../src/engine/node/index.js';
import { outputPoolStatistics } from '../src/engine/outputArrays.js';
import { installMissingGradients } from '../src/engine/index.js';
import { ENGINE_MODELS, buildModel } from '../bench/engine.js';
import { createOptimizer } from '../src/training/index.js';
await selectEngine({ quiet: true });
installMissingGradients();
const spec = ENGINE_MODELS.find((m) => m.name === (process.argv[2] ?? 'unet2d'))!;
const model = buildModel(spec);
let s = 12345;
const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
for (const w of model.trainableWeights) { const v = w.read(); const a = new Float32Array(v.size).map(() => (rnd() - 0.5) * 0.2); w.write(tf.tensor(a, v.shape)); }
const x = tf.tensor(new Float32Array(spec.input.reduce((a, b) => a * b)).map(() => rnd()), spec.input);
const y = tf.tensor(new Float32Array(spec.input.slice(0, -1).reduce((a, b) => a * b)).map(() => (rnd() > 0.9 ? 1 : 0)), [...spec.input.slice(0, -1), 1]);
const adam = createOptimizer({ name: 'adam', momentum: 0 });
const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
const losses: number[] = [];
for (let i = 0; i < Number(process.argv[3] ?? 5); i++) {
  tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => tf.losses.sigmoidCrossEntropy(y, model.predict(x) as tf.Tensor) as tf.Scalar, variables);
    adam.applyGradients(variables, grads, 1e-3);
    losses.push(value.dataSync()[0]);
  });
}
const h = createHash('sha256');
for (const v of variables) h.update(Buffer.from(v.dataSync().buffer));
console.log(losses.join(' '), h.digest('hex').slice(0, 16), JSON.stringify(outputPoolStatistics()));
