import * as tf from '@tensorflow/tfjs';

/** One timed convolution of the self-benchmark. */
export interface SelfBenchmarkRow {
  name: string;
  ms: number;
  gflops: number;
}

function medianMs(f: () => void, repeats: number): number {
  f();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    f();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/**
 * A short benchmark of the active engine: forward, input-gradient and filter-gradient passes of a 2D
 * convolution [4,64,64,16]×[3,3,16,16] and a 3D one [1,24,24,24,8]×[3,3,3,8,8], 'same' padding;
 * median of `repeats` runs after one warm-up, in ms and GFLOP/s.
 */
export function runSelfBenchmark(repeats = 3): SelfBenchmarkRow[] {
  const rows: SelfBenchmarkRow[] = [];
  const cases = [
    { dims: 2, x: [4, 64, 64, 16], f: [3, 3, 16, 16] },
    { dims: 3, x: [1, 24, 24, 24, 8], f: [3, 3, 3, 8, 8] },
  ];
  for (const c of cases) {
    const x = tf.randomNormal(c.x);
    const f = tf.randomNormal(c.f);
    const dy = tf.randomNormal([...c.x.slice(0, -1), c.f[c.f.length - 1]!]);
    const flops = (2 * x.size * f.size) / c.x[c.x.length - 1]!;
    const is3d = c.dims === 3;
    const passes: [string, () => tf.Tensor][] = [
      ['forward', () => (is3d ? tf.conv3d(x as tf.Tensor5D, f as tf.Tensor5D, 1, 'same') : tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'same'))],
      [
        'input gradient',
        () =>
          tf.engine().runKernel(is3d ? 'Conv3DBackpropInputV2' : 'Conv2DBackpropInput', { dy, filter: f }, { inputShape: c.x, strides: 1, pad: 'same', dataFormat: is3d ? 'NDHWC' : 'NHWC' }) as tf.Tensor,
      ],
      [
        'filter gradient',
        () =>
          tf.engine().runKernel(is3d ? 'Conv3DBackpropFilterV2' : 'Conv2DBackpropFilter', { x, dy }, { filterShape: c.f, strides: 1, pad: 'same', dataFormat: is3d ? 'NDHWC' : 'NHWC' }) as tf.Tensor,
      ],
    ];
    for (const [pass, run] of passes) {
      const ms = medianMs(() => tf.tidy(() => void run().dataSync()), repeats);
      rows.push({ name: `conv${c.dims}d ${pass} [${c.x.join(',')}]x[${c.f.join(',')}]`, ms, gflops: flops / ms / 1e6 });
    }
    tf.dispose([x, f, dy]);
  }
  return rows;
}
