// Child process of wasmThreads.test.ts: starts the wasm engine (GENDICE_WASM_THREADS from the parent), runs
// convolutions, a max pool and a matmul with their gradients on seeded values, and prints the thread count
// XNNPACK reports, how many helper threads of gendice's wasm kernels did work, and a digest of every result.
// It must then end by itself (the pthread workers are unref'd).
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { selectEngine } from '../../src/engine/node/index.js';
import { wasmKernelThreadStates } from '../../src/engine/node/wasmKernelThreads.js';

await selectEngine({ engine: 'wasm', quiet: true });
const wasm = (await import('@tensorflow/tfjs-backend-wasm')) as unknown as { getThreadsCount(): number };
const hash = createHash('sha256');
const add = (ts: tf.Tensor[]) => ts.forEach((t) => hash.update(new Uint8Array((t.dataSync() as Float32Array).slice().buffer)));
tf.tidy(() => {
  const x2 = tf.randomNormal([4, 40, 40, 8], 0, 1, 'float32', 1);
  const f2 = tf.randomNormal([3, 3, 8, 16], 0, 1, 'float32', 2);
  add([tf.conv2d(x2 as tf.Tensor4D, f2 as tf.Tensor4D, 1, 'same'), ...tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same').square().sum())([x2, f2])]);
  const x3 = tf.randomNormal([2, 12, 12, 12, 4], 0, 1, 'float32', 3);
  const f3 = tf.randomNormal([3, 3, 3, 4, 8], 0, 1, 'float32', 4);
  add([tf.conv3d(x3 as tf.Tensor5D, f3 as tf.Tensor5D, 1, 'same'), ...tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv3d(a as tf.Tensor5D, b as tf.Tensor5D, 1, 'same').square().sum())([x3, f3])]);
  // a max pool and its gradient big enough to be split between threads by images
  const x4 = tf.randomNormal([4, 24, 24, 24, 8], 0, 1, 'float32', 7);
  add([tf.maxPool3d(x4 as tf.Tensor5D, 2, 2, 'same'), tf.grad((t: tf.Tensor) => tf.maxPool3d(t as tf.Tensor5D, 3, 2, 'same').square().sum())(x4)]);
  const a = tf.randomNormal([300, 200], 0, 1, 'float32', 5);
  const b = tf.randomNormal([200, 100], 0, 1, 'float32', 6);
  add([tf.matMul(a, b)]);
});
// helper threads of gendice's wasm kernels that are ready and have answered at least one call
const kernelHelpers = wasmKernelThreadStates().filter((t) => t.ready && t.calls > 0).length;
console.log(JSON.stringify({ threads: wasm.getThreadsCount(), kernelHelpers, digest: hash.digest('hex') }));
