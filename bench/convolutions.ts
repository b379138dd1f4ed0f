/**
 * `npm run --silent bench -- convolutions [--model unet2d|unet3d] [--rounds N] [--only forward,fused,data,weights] [--engine native|wasm|cpu] [--json]`:
 * every convolution geometry of bench/engine.ts's U-Net training step, each direction on its own:
 * `forward` (Conv2D / Conv3D), `data` (the input gradient, Conv2DBackpropInput / Conv3DBackpropInputV2) and
 * `weights` (the filter gradient, Conv2DBackpropFilter / Conv3DBackpropFilterV2, depth taps included), as the
 * engine's kernels run them (`--engine`, native by default; through `runKernel`, output allocation included), against PyTorch 1.13's
 * `torch.nn.functional.conv2d/conv3d` and `aten.convolution_backward` (2 threads, NCHW, oneDNN inside: its
 * reorders to blocked layouts included). Both sides are timed interleaved in one run: a PyTorch server
 * process answers one timing request at a time, and the order of the two alternates from round to round.
 * Rows: the geometry, the direction, the median ms of each side over the rounds, and gendice / PyTorch.
 * The transposed convolutions' forward pass is a `data` row of the geometry they invert.
 * `OMP_NUM_THREADS=1` runs both sides on one thread (2 otherwise), which shows the kernels' own efficiency on a
 * loaded machine. `ONEDNN_VERBOSE=1` in the environment shows which oneDNN implementation and layouts each side gets.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import * as tf from '@tensorflow/tfjs';
import { OMP_WAIT_POLICY_DEFAULT } from '../src/engine/node/addon.js';
import { fusedConv } from '../src/engine/fusedConvolution.js';
import { selectEngine, type EngineName } from '../src/engine/node/index.js';
import { note, noteBlasOnce, printRows, type BenchRow } from './_common.js';
import { ENGINE_MODELS, type ModelSpec } from './engine.js';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};

/** One convolution of the step: channels-last input shape, [D]HWIO filter, strides and TF.js padding. */
export interface ConvShape {
  name: string;
  x: number[];
  filter: number[];
  strides: number;
  pad: 'same';
}

const DIRECTIONS = ['forward', 'fused', 'data', 'weights'] as const;
type Direction = (typeof DIRECTIONS)[number];

/** The convolutions of bench/engine.ts's buildUNet for `spec`, once per geometry, in network order. */
export function uNetConvolutions(spec: ModelSpec): ConvShape[] {
  const [batch, ...rest] = spec.input;
  const size = rest.slice(0, -1);
  const k = (n: number) => size.map(() => n);
  const at = (level: number) => size.map((s) => s >> level);
  const shapes: ConvShape[] = [];
  const add = (name: string, level: number, ci: number, co: number, kernel: number, strides = 1) => {
    const x = [batch!, ...at(level), ci];
    const filter = [...k(kernel), ci, co];
    const key = `${x}|${filter}|${strides}`;
    if (!shapes.some((s) => `${s.x}|${s.filter}|${s.strides}` === key)) shapes.push({ name, x, filter, strides, pad: 'same' });
  };
  let c = rest[rest.length - 1]!;
  spec.filters.forEach((f, level) => {
    add(`down${level}a`, level, c, f, 3);
    add(`down${level}b`, level, f, f, 3);
    c = f;
  });
  for (let level = spec.filters.length - 2; level >= 0; level--) {
    const f = spec.filters[level]!;
    // The transposed convolution (c channels at level+1 -> f at level) inverts this strided convolution.
    add(`up${level} (transposed)`, level, f, c, 2, 2);
    add(`up${level}a`, level, 2 * f, f, 3);
    add(`up${level}b`, level, f, f, 3);
    c = f;
  }
  add('head', 0, c, 1, 1);
  return shapes;
}

function outShape(s: ConvShape): number[] {
  const spatial = s.x.slice(1, -1).map((v) => Math.ceil(v / s.strides));
  return [s.x[0]!, ...spatial, s.filter[s.filter.length - 1]!];
}

/** The engine's kernel for one direction of `s`, with its inputs made once. */
function gendiceCall(s: ConvShape, direction: Direction): { run: () => void; dispose: () => void } {
  const is3d = s.x.length === 5;
  const x = tf.randomUniform(s.x, 0, 1, 'float32', 1);
  const filter = tf.randomUniform(s.filter, -0.1, 0.1, 'float32', 2);
  const dy = tf.randomUniform(outShape(s), -1, 1, 'float32', 3);
  const bias = tf.randomUniform([s.filter[s.filter.length - 1]!], -0.1, 0.1, 'float32', 4);
  const attrs = { strides: s.strides, pad: s.pad, dataFormat: is3d ? 'NDHWC' : 'NHWC', dilations: 1 };
  const kernel = {
    forward: () => tf.engine().runKernel(is3d ? 'Conv3D' : 'Conv2D', { x, filter }, attrs),
    fused: () => fusedConv({ x, filter, bias, strides: s.strides, pad: s.pad, activation: 'relu' }),
    data: () => tf.engine().runKernel(is3d ? 'Conv3DBackpropInputV2' : 'Conv2DBackpropInput', { dy, filter }, { ...attrs, inputShape: s.x }),
    weights: () => tf.engine().runKernel(is3d ? 'Conv3DBackpropFilterV2' : 'Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: s.filter }),
  }[direction];
  return {
    run: () => {
      const out = kernel() as tf.Tensor;
      out.dataSync();
      out.dispose();
    },
    dispose: () => tf.dispose([x, filter, dy, bias]),
  };
}

const PYTORCH_SERVER = String.raw`
import json, os, sys, time, torch
import torch.nn.functional as F
torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
cache = {}
def make(req):
    s = req["shape"]; n = s["x"]; f = s["filter"]; d = len(n) - 2
    x = torch.rand([n[0], n[-1]] + n[1:-1])
    w = (torch.rand([f[-1], f[-2]] + f[:-2]) - 0.5) * 0.2
    pad = [(k - 1) // 2 for k in f[:-2]]
    conv = F.conv3d if d == 3 else F.conv2d
    y = conv(x, w, None, s["strides"], pad)
    dy = torch.rand_like(y) * 2 - 1
    def backward(mask):
        return lambda: torch.ops.aten.convolution_backward(dy, x, w, None, [s["strides"]] * d, pad, [1] * d, False, [0] * d, 1, mask)
    b = torch.rand([f[-1]]) * 0.2 - 0.1
    return {"forward": lambda: conv(x, w, None, s["strides"], pad), "fused": lambda: F.relu(conv(x, w, b, s["strides"], pad)), "data": backward([True, False, False]), "weights": backward([False, True, False])}[req["direction"]]
for line in sys.stdin:
    req = json.loads(line)
    key = json.dumps(req, sort_keys=True)
    if key not in cache:
        cache[key] = make(req); cache[key]()
    t0 = time.perf_counter(); cache[key](); ms = (time.perf_counter() - t0) * 1000
    print(json.dumps({"ms": ms}), flush=True)
`;

/** A PyTorch process that times one request per line; undefined when /usr/bin/python3 has no torch. */
function pytorchServer(): { time: (s: ConvShape, d: Direction) => Promise<number>; close: () => void } | undefined {
  const env = { ...process.env, OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? OMP_WAIT_POLICY_DEFAULT };
  noteBlasOnce();
  const child = spawn('/usr/bin/python3', ['-c', PYTORCH_SERVER], { env, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  let failed = false;
  child.on('error', () => (failed = true));
  return {
    time: async (shape, direction) => {
      if (failed) throw new Error('bench convolutions: the PyTorch peer did not start');
      child.stdin.write(`${JSON.stringify({ shape, direction })}\n`);
      const next = await lines.next();
      if (next.done === true) throw new Error('bench convolutions: the PyTorch peer exited');
      return (JSON.parse(next.value) as { ms: number }).ms;
    },
    close: () => child.stdin.end(),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  const modelName = arg('model') ?? 'unet2d';
  const spec = ENGINE_MODELS.find((m) => m.name === modelName && m.name !== 'highresnet3d');
  if (spec === undefined) throw new Error(`bench convolutions: --model '${modelName}' is not unet2d or unet3d`);
  const rounds = Number(arg('rounds') ?? 5);
  const only = (arg('only') ?? DIRECTIONS.join(',')).split(',') as Direction[];
  // selectEngine names a value that is not an engine.
  const engine = (arg('engine') ?? 'native') as EngineName;
  await selectEngine({ engine, quiet: true });
  const torch = pytorchServer();
  const rows: BenchRow[] = [];
  const totals = { gendice: 0, pytorch: 0 };
  for (const shape of uNetConvolutions(spec)) {
    for (const direction of DIRECTIONS.filter((d) => only.includes(d))) {
      const call = gendiceCall(shape, direction);
      call.run();
      const ours: number[] = [];
      const theirs: number[] = [];
      for (let r = 0; r < rounds; r++) {
        const timeOurs = () => {
          const t0 = performance.now();
          call.run();
          ours.push(performance.now() - t0);
        };
        if (r % 2 === 0) timeOurs();
        if (torch !== undefined) theirs.push(await torch.time(shape, direction));
        if (r % 2 === 1) timeOurs();
      }
      call.dispose();
      const gendice = median(ours);
      const pytorch = theirs.length > 0 ? median(theirs) : null;
      totals.gendice += gendice;
      totals.pytorch += pytorch ?? 0;
      rows.push({ name: shape.name, x: shape.x.join('×'), filter: shape.filter.join('×'), direction, gendiceMs: gendice, pytorchMs: pytorch, ratio: pytorch !== null ? gendice / pytorch : null });
    }
  }
  torch?.close();
  rows.push({ name: 'total', x: '', filter: '', direction: only.join(','), gendiceMs: totals.gendice, pytorchMs: totals.pytorch, ratio: totals.gendice / totals.pytorch });
  note(`bench convolutions: ${spec.name} on ${engine}, ${rounds} interleaved rounds per row`);
  printRows('convolutions', rows);
}

// Runs only as a script, so that tests and other benchmarks can import uNetConvolutions.
if (process.argv[1] !== undefined && /convolutions\.ts$/.test(process.argv[1])) await main();
