import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { estimateTrainingBytes, poolingTopology } from '../../src/data/index.js';
import { selectEngine } from '../../src/engine/select.js';
import { generalizedDiceLoss } from '../../src/losses/index.js';
import { unet3d } from '../../src/networks/unet3d.js';

// The plan's memory model against TF.js's measured peak of one training step (10 s on a loaded 2-core
// machine; off by default, the peak depends on the engine): GENDICE_MEMORY_CALIBRATION=1 npx vitest run test/data/planMemory.test.ts
describe.skipIf(process.env.GENDICE_MEMORY_CALIBRATION !== '1')('estimateTrainingBytes against a measured unet3d step', () => {
  it.each([
    [[32, 32, 32], 1],
    [[32, 32, 32], 2],
  ] as const)('patch %j, batch %i: the estimate is 0 to 15 percent above tf.profile peak bytes', async (patch, batch) => {
    await selectEngine();
    const model = unet3d({ inputChannels: 1, classes: 3 });
    const optimizer = tf.train.adam(1e-3);
    const x = tf.randomNormal([batch, ...patch, 1]);
    const y = tf.randomUniformInt([batch, ...patch, 1], 0, 3);
    const loss = generalizedDiceLoss();
    const step = (): void => optimizer.minimize(() => loss(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true)!.dispose();
    step();
    const { peakBytes } = await tf.profile(step);
    const estimate = estimateTrainingBytes(patch, poolingTopology([1, 1, 1], patch, { maxPoolings: 3 }), {
      inputChannels: 1,
      classes: 3,
      baseFilters: 16,
      maxFilters: 320,
      batchSize: batch,
    });
    expect(estimate / peakBytes).toBeGreaterThanOrEqual(1);
    expect(estimate / peakBytes).toBeLessThan(1.15);
    tf.dispose([x, y]);
    model.dispose();
  });
});
