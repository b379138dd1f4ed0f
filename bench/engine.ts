/**
 * `npm run bench -- engine [--json] [--engines native,wasm,cpu] [--steps N] [--models unet2d,unet3d,highresnet3d[,highresnet3d-paper]]
 * [--optimizer gendice|tfjs] [--memory unet3d|none|...] [--unfused] [--rounds R]`:
 * one Adam training step (gendice's TrainingOptimizer as train() uses it, or `--optimizer tfjs` for TF.js's) (binary cross-entropy) of the 2D U-Net (8×128×128×1, filters 16-32-64-128),
 * the 3D U-Net (2×48³×1, filters 8-16-32) of docs/engine.md and gendice's HighResNet (1×32³×1) on each
 * engine, median step time, and
 * the ratio to PyTorch (Debian's python3-torch, 2 threads) when /usr/bin/python3 can import torch.
 * `--unfused` adds a `native unfused` row: the native steps without the fused convolution + bias + ReLU,
 * timed alternately with the fused ones on the same model.
 * `--rounds R` (default 1) repeats PyTorch's and gendice's steps R times, alternating which runs first: `ms`
 * is the median over the rounds, `ratioToPytorch` the median of the rounds' own ratios, and `ratioMin`,
 * `ratioMax` their range (on a virtual machine whose host is busy, speed changes within minutes).
 * Stock `cpu` is skipped unless listed explicitly: one 2D step takes about 20 minutes. PyTorch runs with
 * the engine's OMP_WAIT_POLICY (passive unless set).
 *
 * Memory rows (`--memory unet3d` by default, a list or `none`): each engine's steps run again in a fresh
 * process (so that earlier models do not raise the high-water mark), as PyTorch's do. `peakRssMb` is the
 * process's resident-set high-water mark (getrusage maxrss: Node + TF.js, or Python + torch, included),
 * `stepRssMb` that peak minus the resident set just before the first step (what the steps themselves
 * added), `tensorPeakMb` TF.js's count of live tensor bytes during a step (tf.profile). PyTorch on a CPU has
 * no allocator statistics (torch.cuda's are GPU-only; tracemalloc sees Python objects, not tensors), so
 * the resident set is the only measure both sides share.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { fusedConvolutionTuning } from '../src/engine/fusedConvolution.js';
import { installMissingGradients } from '../src/engine/gradients/index.js';
import { OMP_WAIT_POLICY_DEFAULT } from '../src/engine/node/addon.js';
import { engineInfo, resetEngine, selectEngine, type EngineName } from '../src/engine/node/index.js';
import { highResNet } from '../src/networks/index.js';
import { createOptimizer } from '../src/training/optimizer.js';
import { note, noteBlasOnce, peakRssMb, printRows, timeMs, type BenchRow } from './_common.js';

export interface ModelSpec {
  name: 'unet2d' | 'unet3d' | 'highresnet3d' | 'highresnet3d-paper';
  input: number[];
  /** U-Net filters per level; HighResNet uses its defaults (filters 16-16-32-64, dilations 1-2-4). */
  filters: number[];
}

/** The two U-Nets of docs/engine.md (also profiled by bench/profile.ts). */
export const ENGINE_MODELS: ModelSpec[] = [
  { name: 'unet2d', input: [8, 128, 128, 1], filters: [16, 32, 64, 128] },
  { name: 'unet3d', input: [2, 48, 48, 48, 1], filters: [8, 16, 32] },
  // gendice's HighResNet (20 layers, dilated 3³ residual blocks, batch normalisation), one 32³ patch.
  { name: 'highresnet3d', input: [1, 32, 32, 32, 1], filters: [] },
];

/**
 * Models run only when listed in `--models`: the same HighResNet (the paper's widths, 16/32/64 with 3
 * blocks per stage, are gendice's defaults) on the paper's largest 2D-comparable setting, 4 patches of 45³
 * (docs/study.md): about 11× the work of `highresnet3d`, a minute per wasm step.
 */
export const EXTRA_ENGINE_MODELS: ModelSpec[] = [{ name: 'highresnet3d-paper', input: [4, 45, 45, 45, 1], filters: [] }];
const ALL_ENGINE_MODELS = [...ENGINE_MODELS, ...EXTRA_ENGINE_MODELS];

/** The benchmarked model: the U-Net below, or gendice's highResNet with one sigmoid output channel. */
export function buildModel(spec: ModelSpec): tf.LayersModel {
  if (spec.name.startsWith('highresnet')) return highResNet({ classes: 1, outputActivation: 'sigmoid', seed: 1 });
  return buildUNet(spec);
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** U-Net: per level 2×(3×3 conv + ReLU), max-pool 2, transposed conv 2 stride 2 up, concatenated skips, 1×1 sigmoid head. */
export function buildUNet(spec: ModelSpec): tf.LayersModel {
  const is3d = spec.input.length === 5;
  const conv = (f: number, k: number, activation: 'relu' | 'sigmoid') =>
    is3d ? tf.layers.conv3d({ filters: f, kernelSize: k, padding: 'same', activation }) : tf.layers.conv2d({ filters: f, kernelSize: k, padding: 'same', activation });
  const pool = () => (is3d ? tf.layers.maxPooling3d({ poolSize: 2 }) : tf.layers.maxPooling2d({ poolSize: 2 }));
  const up = (f: number) =>
    is3d ? tf.layers.conv3dTranspose({ filters: f, kernelSize: 2, strides: 2, padding: 'same' }) : tf.layers.conv2dTranspose({ filters: f, kernelSize: 2, strides: 2, padding: 'same' });
  const input = tf.input({ shape: spec.input.slice(1) });
  let x: tf.SymbolicTensor = input;
  const skips: tf.SymbolicTensor[] = [];
  spec.filters.forEach((f, level) => {
    x = conv(f, 3, 'relu').apply(x) as tf.SymbolicTensor;
    x = conv(f, 3, 'relu').apply(x) as tf.SymbolicTensor;
    if (level < spec.filters.length - 1) {
      skips.push(x);
      x = pool().apply(x) as tf.SymbolicTensor;
    }
  });
  for (let level = spec.filters.length - 2; level >= 0; level--) {
    const f = spec.filters[level]!;
    x = up(f).apply(x) as tf.SymbolicTensor;
    x = tf.layers.concatenate().apply([skips[level]!, x]) as tf.SymbolicTensor;
    x = conv(f, 3, 'relu').apply(x) as tf.SymbolicTensor;
    x = conv(f, 3, 'relu').apply(x) as tf.SymbolicTensor;
  }
  const out = conv(1, 1, 'sigmoid').apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

/** One Adam step (binary cross-entropy, random data) of `spec` on the active engine, and its cleanup. */
export function trainingStep(spec: ModelSpec): { step: () => void; dispose: () => void } {
  installMissingGradients();
  const model = buildModel(spec);
  note(`bench engine: ${spec.name} in TF.js: ${model.trainableWeights.reduce((n, w) => n + w.read().size, 0)} parameters`);
  const x = tf.randomUniform(spec.input);
  const y = tf.tidy(() => tf.randomUniform([...spec.input.slice(0, -1), 1]).greater(0.9).toFloat());
  const lossOf = () => tf.losses.sigmoidCrossEntropy(y, model.predict(x) as tf.Tensor) as tf.Scalar;
  let step: () => void;
  let optimizer: { dispose(): void };
  if (arg('optimizer') === 'tfjs') {
    const adam = tf.train.adam(1e-3);
    optimizer = adam;
    step = () => tf.tidy(() => adam.minimize(lossOf, true)?.dataSync());
  } else {
    // gendice's TrainingOptimizer, as train() uses it (the fused native update on the native engine).
    const adam = createOptimizer({ name: 'adam', momentum: 0 });
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    optimizer = adam;
    step = () =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(lossOf, variables);
        adam.applyGradients(variables, grads, 1e-3);
        value.dataSync();
      });
  }
  const dispose = () => {
    x.dispose();
    y.dispose();
    optimizer.dispose();
    model.dispose();
  };
  return { step, dispose };
}

async function tfjsStep(spec: ModelSpec, steps: number): Promise<number> {
  const { step, dispose } = trainingStep(spec);
  const ms = await timeMs(step, steps, 1);
  dispose();
  return ms;
}

/**
 * `--unfused` on the native engine: the same model's steps with gendice's fused convolution + bias + ReLU
 * (src/engine/fusedConvolution.ts) and without (the unfused chain of before), alternating step by step
 * (the order flips every round), so that both see the same load. Median ms of each.
 */
async function fusedAndUnfusedSteps(spec: ModelSpec, steps: number): Promise<{ fused: number; unfused: number }> {
  const { step, dispose } = trainingStep(spec);
  const times = { fused: [] as number[], unfused: [] as number[] };
  const timed = (fused: boolean) => {
    fusedConvolutionTuning.enabled = fused;
    const t0 = performance.now();
    step();
    times[fused ? 'fused' : 'unfused'].push(performance.now() - t0);
  };
  try {
    step();
    fusedConvolutionTuning.enabled = false;
    step();
    for (let i = 0; i < steps; i++) {
      timed(i % 2 === 0);
      timed(i % 2 !== 0);
    }
  } finally {
    fusedConvolutionTuning.enabled = true;
    dispose();
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
  return { fused: median(times.fused), unfused: median(times.unfused) };
}

const PYTORCH = String.raw`
import json, resource, sys, time, torch
import torch.nn as nn
torch.set_num_threads(2)
spec = json.loads(sys.argv[1]); steps = int(sys.argv[2])
is3d = len(spec["input"]) == 5
Conv = nn.Conv3d if is3d else nn.Conv2d
Up = nn.ConvTranspose3d if is3d else nn.ConvTranspose2d
Pool = nn.MaxPool3d if is3d else nn.MaxPool2d
class UNet(nn.Module):
    def __init__(s, f):
        super().__init__()
        s.down = nn.ModuleList(); c = 1
        for g in f:
            s.down.append(nn.Sequential(Conv(c, g, 3, padding=1), nn.ReLU(), Conv(g, g, 3, padding=1), nn.ReLU())); c = g
        s.ups = nn.ModuleList(); s.dec = nn.ModuleList()
        for g in reversed(f[:-1]):
            s.ups.append(Up(c, g, 2, stride=2)); s.dec.append(nn.Sequential(Conv(2 * g, g, 3, padding=1), nn.ReLU(), Conv(g, g, 3, padding=1), nn.ReLU())); c = g
        s.head = Conv(c, 1, 1); s.pool = Pool(2)
    def forward(s, x):
        skips = []
        for i, d in enumerate(s.down):
            x = d(x)
            if i < len(s.down) - 1: skips.append(x); x = s.pool(x)
        for u, d in zip(s.ups, s.dec):
            x = d(torch.cat([skips.pop(), u(x)], 1))
        return torch.sigmoid(s.head(x))
class Res(nn.Module):
    def __init__(s, c_in, c, d):
        super().__init__()
        s.c_in, s.c = c_in, c
        s.body = nn.Sequential(nn.BatchNorm3d(c_in), nn.ReLU(), nn.Conv3d(c_in, c, 3, padding=d, dilation=d, bias=False),
                               nn.BatchNorm3d(c), nn.ReLU(), nn.Conv3d(c, c, 3, padding=d, dilation=d, bias=False))
    def forward(s, x):
        y = s.body(x)
        if s.c != s.c_in: x = nn.functional.pad(x, (0, 0, 0, 0, 0, 0, 0, s.c - s.c_in))
        return x + y
class HighResNet(nn.Module):
    # gendice's highResNet defaults (no bias before a normalisation): conv 16, 3 blocks each of (16, d1), (32, d2), (64, d4), conv1 80, head.
    def __init__(s):
        super().__init__()
        layers = [nn.Conv3d(1, 16, 3, padding=1, bias=False), nn.BatchNorm3d(16), nn.ReLU()]; c = 16
        for w, d in [(16, 1), (32, 2), (64, 4)]:
            for _ in range(3): layers.append(Res(c, w, d)); c = w
        layers += [nn.Conv3d(c, 80, 1, bias=False), nn.BatchNorm3d(80), nn.ReLU(), nn.Conv3d(80, 1, 1)]
        s.net = nn.Sequential(*layers)
    def forward(s, x): return torch.sigmoid(s.net(x))
n = spec["input"]; shape = [n[0], n[-1]] + n[1:-1]
m = HighResNet() if spec["name"].startswith("highresnet") else UNet(spec["filters"]); opt = torch.optim.Adam(m.parameters(), 1e-3)
x = torch.rand(shape); y = (torch.rand([n[0], 1] + n[1:-1]) > 0.9).float()
loss = nn.BCELoss()
def step():
    opt.zero_grad(); l = loss(m(x), y); l.backward(); opt.step(); return l.item()
def rss_mb():
    with open("/proc/self/statm") as f: return int(f.read().split()[1]) * resource.getpagesize() / 2**20
base_rss = rss_mb()
step(); t = []
for _ in range(steps):
    t0 = time.perf_counter(); step(); t.append((time.perf_counter() - t0) * 1000)
peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t.sort(); print(json.dumps({"ms": t[len(t) // 2], "torch": torch.__version__, "params": sum(p.numel() for p in m.parameters()),
                            "peakRssMb": peak_rss, "baseRssMb": base_rss}))
`;

/** PyTorch's step time and its process's memory: the resident set before the first step and its high-water mark after the steps. */
interface PytorchResult {
  ms: number;
  peakRssMb: number;
  baseRssMb: number;
}

function pytorchStep(spec: ModelSpec, steps: number): PytorchResult | undefined {
  if (!existsSync('/usr/bin/python3')) return undefined;
  // The same OpenMP wait policy as the native engine (passive unless set; see src/engine/addon.ts): with
  // libgomp's default spinning, both slow down badly whenever anything else runs on the machine.
  const env = { ...process.env, OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? OMP_WAIT_POLICY_DEFAULT };
  noteBlasOnce();
  const r = spawnSync('/usr/bin/python3', ['-c', PYTORCH, JSON.stringify(spec), String(steps)], { encoding: 'utf8', env });
  if (r.status !== 0) {
    note(`bench engine: PyTorch peer unavailable (${(r.stderr ?? '').trim().split('\n').pop() ?? 'no output'})`);
    return undefined;
  }
  const parsed = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Partial<PytorchResult> & { torch?: string; params?: number };
  note(`bench engine: PyTorch ${parsed.torch ?? '?'} ${spec.name}: ${parsed.ms?.toFixed(0)} ms, ${parsed.params} parameters, peak RSS ${parsed.peakRssMb?.toFixed(0)} MB`);
  if (parsed.ms === undefined || parsed.peakRssMb === undefined || parsed.baseRssMb === undefined) return undefined;
  return { ms: parsed.ms, peakRssMb: parsed.peakRssMb, baseRssMb: parsed.baseRssMb };
}

/** gendice's memory during training steps of `spec` on `engine`, measured in a fresh process like PyTorch's. */
interface MemoryResult {
  /** Resident set just before the first step (after imports, engine selection, model building). */
  baseRssMb: number;
  /** The process's resident-set high-water mark after the steps (getrusage maxrss). */
  peakRssMb: number;
  /** TF.js's own count: the largest number of tensor bytes alive during one step (tf.profile's peakBytes). */
  tensorPeakMb: number;
}

const MEMORY_CHILD = 'memory-child';

/** In the child process: one warm-up step, then the measured steps under tf.profile. */
async function memoryChild(spec: ModelSpec, engine: EngineName, steps: number): Promise<void> {
  await selectEngine({ engine, quiet: true });
  const { step, dispose } = trainingStep(spec);
  const baseRssMb = process.memoryUsage().rss / 2 ** 20;
  step();
  let tensorPeak = 0;
  for (let i = 0; i < steps; i++) tensorPeak = Math.max(tensorPeak, (await tf.profile(step)).peakBytes);
  const result: MemoryResult = { baseRssMb, peakRssMb: peakRssMb(), tensorPeakMb: tensorPeak / 2 ** 20 };
  dispose();
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function gendiceMemory(spec: ModelSpec, engine: EngineName, steps: number): MemoryResult | undefined {
  const tsx = join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', 'tsx', 'dist', 'cli.mjs');
  const r = spawnSync(process.execPath, [tsx, fileURLToPath(import.meta.url), `--${MEMORY_CHILD}`, spec.name, '--engines', engine, '--steps', String(steps)], { encoding: 'utf8' });
  if (r.status !== 0) {
    note(`bench engine: memory of ${spec.name} on ${engine} not measured (${(r.stderr ?? '').trim().split('\n').pop() ?? 'no output'})`);
    return undefined;
  }
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as MemoryResult;
}

async function main(): Promise<void> {
  const engines = (arg('engines') ?? 'native,wasm').split(',') as EngineName[];
  const models = (arg('models') ?? ENGINE_MODELS.map((m) => m.name).join(',')).split(',');
  const unknown = models.filter((m) => !ALL_ENGINE_MODELS.some((s) => s.name === m));
  if (unknown.length > 0) throw new Error(`bench engine: --models ${unknown.join(',')}: not among ${ALL_ENGINE_MODELS.map((m) => m.name).join(', ')}`);
  const steps = Number(arg('steps') ?? 3);
  const child = arg(MEMORY_CHILD);
  if (child !== undefined) {
    const spec = ALL_ENGINE_MODELS.find((m) => m.name === child);
    if (spec === undefined) throw new Error(`bench engine: --${MEMORY_CHILD} ${child}: unknown model`);
    await memoryChild(spec, engines[0]!, steps);
    return;
  }
  const memoryModels = (arg('memory') ?? 'unet3d').split(',').filter((m) => m !== '' && m !== 'none');
  const rows: BenchRow[] = [];
  const memoryRows: BenchRow[] = [];
  const rounds = Number(arg('rounds') ?? 1);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`bench engine: --rounds must be an integer >= 1, got ${arg('rounds')}`);
  const median = (v: number[]) => {
    const sorted = [...v].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  };
  for (const spec of ALL_ENGINE_MODELS.filter((m) => models.includes(m.name))) {
    const torchRuns: PytorchResult[] = [];
    const engineRuns = new Map<string, number[]>();
    const ratios = new Map<string, number[]>();
    const usable: EngineName[] = [];
    for (const engine of engines) {
      try {
        await selectEngine({ engine, quiet: true });
        usable.push(engine);
      } catch (err) {
        note(`bench engine: skipping ${engine}: ${err instanceof Error ? err.message : String(err)}`);
      }
      resetEngine();
    }
    const gendiceRound = async (): Promise<Map<string, number>> => {
      const times = new Map<string, number>();
      for (const engine of usable) {
        await selectEngine({ engine, quiet: true });
        note(`bench engine: ${spec.name} on ${engineInfo().engine} ...`);
        if (engine === 'native' && process.argv.includes('--unfused')) {
          const { fused, unfused } = await fusedAndUnfusedSteps(spec, steps);
          times.set(engine, fused);
          times.set('native unfused', unfused);
        } else {
          times.set(engine, await tfjsStep(spec, steps));
        }
        resetEngine();
      }
      return times;
    };
    // Rounds alternate which side runs first, so that a change in the machine's speed (another virtual
    // machine on the host) falls on both; each round's ratio compares the two sides of that round.
    for (let round = 0; round < rounds; round++) {
      let torch: PytorchResult | undefined;
      let times: Map<string, number>;
      if (round % 2 === 0) {
        torch = pytorchStep(spec, steps);
        times = await gendiceRound();
      } else {
        times = await gendiceRound();
        torch = pytorchStep(spec, steps);
      }
      if (torch !== undefined) torchRuns.push(torch);
      for (const [engine, ms] of times) {
        engineRuns.set(engine, [...(engineRuns.get(engine) ?? []), ms]);
        if (torch !== undefined) ratios.set(engine, [...(ratios.get(engine) ?? []), ms / torch.ms]);
      }
    }
    const spread = (r: number[] | undefined) => (rounds > 1 ? { ratioMin: r !== undefined ? Math.min(...r) : null, ratioMax: r !== undefined ? Math.max(...r) : null } : {});
    const torch = torchRuns.length > 0 ? torchRuns[torchRuns.length - 1]! : undefined;
    if (torchRuns.length > 0) rows.push({ name: spec.name, engine: 'pytorch', ms: median(torchRuns.map((t) => t.ms)), ratioToPytorch: 1, ...spread(torchRuns.map(() => 1)) });
    for (const [engine, ms] of engineRuns) {
      const r = ratios.get(engine);
      rows.push({ name: spec.name, engine, ms: median(ms), ratioToPytorch: r !== undefined ? median(r) : null, ...spread(r) });
    }
    if (memoryModels.includes(spec.name)) {
      if (torch !== undefined) {
        memoryRows.push({ name: `${spec.name} memory`, engine: 'pytorch', peakRssMb: torch.peakRssMb, stepRssMb: torch.peakRssMb - torch.baseRssMb, tensorPeakMb: null, peakRatioToPytorch: 1, stepRatioToPytorch: 1 });
      }
      for (const engine of usable) {
        const m = gendiceMemory(spec, engine, steps);
        if (m === undefined) continue;
        const stepRssMb = m.peakRssMb - m.baseRssMb;
        memoryRows.push({
          name: `${spec.name} memory`,
          engine,
          peakRssMb: m.peakRssMb,
          stepRssMb,
          tensorPeakMb: m.tensorPeakMb,
          peakRatioToPytorch: torch !== undefined ? m.peakRssMb / torch.peakRssMb : null,
          stepRatioToPytorch: torch !== undefined ? stepRssMb / (torch.peakRssMb - torch.baseRssMb) : null,
        });
      }
    }
  }
  printRows('engine', [...rows, ...memoryRows]);
}

// Runs only as a script, so that bench/profile.ts can import buildUNet.
if (process.argv[1] !== undefined && /engine\.ts$/.test(process.argv[1])) await main();
