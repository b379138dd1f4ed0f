/**
 * `npm run --silent bench -- inference [--json] [--window 96] [--engine native|wasm|cpu]`: sliding-window
 * inference of a 3D U-Net (3 levels from 8 filters, no normalisation, random weights) over a
 * 240×240×155 single-channel volume (a BraTS-sized image): window 96³, overlap 0.25, Gaussian
 * blending, 2 windows per batch. When Debian's python3-torch is installed, the same network and the
 * same window grid run in PyTorch (2 threads) in the same run, and the ratio is reported.
 *
 * `npm run --silent bench -- inference --model deepmedic [--json]`: the inference window policy for a
 * network whose output is smaller than its input. DeepMedic (paper-3d-small's width, random weights)
 * trained on 51³ patches, over a 96³ volume: windows grown by the margin only (`inferenceWindow(patch)`,
 * 99³ windows tiling the image) against the window grown to cover the image (`inferenceWindow(patch,
 * shape, imageShape)`). Rows: seconds, windows, and the ratio to the patch-sized policy.
 *
 * `npm run --silent bench -- inference --profile [--json]`: where the 3D U-Net's inference time goes: the
 * kernels of one batch of two windows (tf.profile: ms, calls, share), slidingWindowInference over a
 * two-window volume against the network alone on those windows (its share), and each step outside the
 * network for that batch timed alone (gathering, the activation and its read-back, blending, the final
 * division; share of slidingWindowInference).
 */
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { engineInfo, selectEngine, type EngineName } from '../src/engine/node/index.js';
import { nativeWindowBlend } from '../src/engine/index.js';
import { inferenceWindow, slidingWindowInference, windowStarts } from '../src/inference/index.js';
import { blendWindow, gatherWindow, normaliseBlend } from '../src/inference/windowBlending.js';
import { deepMedic, deepMedicGeometry, unet3d } from '../src/networks/index.js';
import { Random } from '../src/common/random.js';
import { kernelTotals, note, noteBlasOnce, printRows, timeMs, type BenchRow } from './_common.js';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
if (arg('model') !== undefined && arg('model') !== 'deepmedic' && arg('model') !== 'unet3d') {
  throw new Error(`bench inference: --model must be unet3d or deepmedic, got '${arg('model')}'`);
}
const engine = arg('engine') as EngineName | undefined;
await selectEngine(engine ? { engine } : {});
if (arg('model') === 'deepmedic') {
  const options = { pathwayFilters: [10, 10, 12, 12, 12, 12, 15, 15], fullyConnected: [50, 50], classes: 2, seed: 1 };
  const net = deepMedic(options);
  const geometry = deepMedicGeometry(options);
  const shapeFor = (w: readonly number[]): number[] => geometry.outputShapeFor(w);
  const volume = [96, 96, 96];
  const rng = new Random(1);
  const image = Float32Array.from({ length: 96 ** 3 }, () => rng.normal());
  const policies: Array<[string, number[]]> = [
    ['patch-sized windows', inferenceWindow([51, 51, 51], shapeFor)],
    ['grown to the image', inferenceWindow([51, 51, 51], shapeFor, volume)],
  ];
  const rows: BenchRow[] = [];
  for (const [policy, windowSize] of policies) {
    const out = shapeFor(windowSize); // warm-up: one window
    slidingWindowInference(net, new Float32Array(out[0]! * out[1]! * out[2]!), out, { windowSize, outputShapeFor: shapeFor });
    const t0 = performance.now();
    const r = slidingWindowInference(net, image, volume, { windowSize, outputShapeFor: shapeFor });
    const seconds = (performance.now() - t0) / 1000;
    rows.push({ name: `deepMedic 96³, ${policy}`, engine: engineInfo().engine ?? 'cpu', window: windowSize.join('x'), windows: r.windows, seconds, ratioToPatchSized: null });
  }
  for (const r of rows) r.ratioToPatchSized = (r.seconds as number) / (rows[0]!.seconds as number);
  printRows('inference', rows);
  process.exit(0);
}
const shape = [240, 240, 155];
const window = Number(arg('window') ?? 96);
const overlap = 0.25;

if (process.argv.includes('--profile')) {
  // Where inference time goes: one batch of two windows through the network under tf.profile (per kernel),
  // then slidingWindowInference over a 2-window volume against that batch alone (the rest is gathering,
  // blending and the activation, outside the network).
  const net = unet3d({ depth: 3, baseFilters: 8, normalization: 'none', outputActivation: 'none', classes: 2, seed: 1 });
  const x = tf.randomNormal([2, window, window, window, 1]);
  const predict = () => tf.tidy(() => void (net.predict(x) as tf.Tensor).dataSync());
  predict();
  const profile = await tf.profile(predict);
  const byKernel = kernelTotals(profile.kernels);
  const kernelMs = [...byKernel.values()].reduce((a, e) => a + e.ms, 0);
  const rows: BenchRow[] = [...byKernel]
    .sort((a, b) => b[1].ms - a[1].ms)
    .map(([name, e]) => ({ name, ms: e.ms, calls: e.calls, share: e.ms / kernelMs }));
  const small = [window, window, Math.round(window * 1.6)];
  const rng = new Random(1);
  const volume = Float32Array.from({ length: small[0]! * small[1]! * small[2]! }, () => rng.normal());
  const t0 = performance.now();
  const r = slidingWindowInference(net, volume, small, { windowSize: [window, window, window], overlap, blending: 'gaussian', batchSize: 2 });
  const slidingMs = performance.now() - t0;
  const t1 = performance.now();
  predict();
  const batchMs = performance.now() - t1;
  rows.push({ name: `slidingWindowInference ${small.join('x')} (${r.windows} windows)`, ms: slidingMs, calls: 1, share: null });
  rows.push({ name: 'the same windows through the network alone', ms: (batchMs * r.windows) / 2, calls: Math.ceil(r.windows / 2), share: (batchMs * r.windows) / 2 / slidingMs });
  // The steps outside the network for that batch, each timed alone (median of 3; share of slidingWindowInference).
  const [W, K] = [[window, window, window], 2];
  const starts = windowStarts(small[2]!, window, Math.floor(window * (1 - overlap))).map((z) => [0, 0, z]);
  const input = new Float32Array(2 * window ** 3);
  const logits = tf.tidy(() => net.predict(x) as tf.Tensor);
  const values = tf.tidy(() => tf.softmax(logits)).dataSync() as Float32Array;
  const weights = new Float64Array(window ** 3).fill(0.5);
  const acc = new Float64Array(volume.length * K);
  const sums = new Float64Array(volume.length);
  const outside: Array<[string, () => void]> = [
    ['gathering the two windows (gatherWindow)', () => starts.forEach((p, n) => gatherWindow(volume, small, 1, p, W, 0, input, n * window ** 3))],
    ['the activation (tf.softmax) and its read-back', () => tf.tidy(() => void tf.softmax(logits).dataSync())],
    [`blending the two windows (blendWindow, ${nativeWindowBlend() ? 'native' : 'JS'})`, () => starts.forEach((p, n) => blendWindow(acc, sums, small, K, values, n * window ** 3 * K, weights, W, p))],
    [`the division by the weights (normaliseBlend, ${nativeWindowBlend() ? 'native' : 'JS'})`, () => normaliseBlend(acc, sums, small, K, small, new Float32Array(volume.length * K))],
  ];
  for (const [name, step] of outside) {
    const ms = await timeMs(step, 3, 1);
    rows.push({ name, ms, calls: 1, share: ms / slidingMs });
  }
  logits.dispose();
  x.dispose();
  printRows('inference', rows);
  process.exit(0);
}

const rng = new Random(1);
const image = Float32Array.from({ length: shape[0]! * shape[1]! * shape[2]! }, () => rng.normal());
const model = unet3d({ depth: 3, baseFilters: 8, normalization: 'none', outputActivation: 'none', classes: 2, seed: 1 });
const windows = shape.reduce((n, d) => n * windowStarts(d, window, Math.floor(window * (1 - overlap))).length, 1);
note(`inference: ${windows} windows of ${window}³ over ${shape.join('×')} on ${engineInfo().engine}`);
// Warm-up on one window (kernel setup, oneDNN primitive cache).
slidingWindowInference(model, new Float32Array(window ** 3), [window, window, window], { windowSize: [window, window, window] });
const t0 = performance.now();
const result = slidingWindowInference(model, image, shape, { windowSize: [window, window, window], overlap, blending: 'gaussian', batchSize: 2 });
const seconds = (performance.now() - t0) / 1000;
const rows: BenchRow[] = [{ name: `unet3d ${shape.join('x')}`, engine: engineInfo().engine ?? 'cpu', seconds, windows: result.windows, voxelsPerSecond: image.length / seconds, ratioToPytorch: null }];

const python = '/usr/bin/python3';
const torchScript = String.raw`
import sys, time, math, torch, torch.nn as nn
torch.set_num_threads(2)
D, W, ov = (240, 240, 155), int(sys.argv[1]), 0.25
def block(i, o): return nn.Sequential(nn.Conv3d(i, o, 3, padding=1), nn.ReLU(), nn.Conv3d(o, o, 3, padding=1), nn.ReLU())
class UNet(nn.Module):
    def __init__(s, f=8, depth=3):
        super().__init__()
        s.enc = nn.ModuleList([block(1 if l == 0 else f * 2 ** (l - 1), f * 2 ** l) for l in range(depth)])
        s.bott = block(f * 2 ** (depth - 1), f * 2 ** depth)
        s.up = nn.ModuleList([nn.ConvTranspose3d(f * 2 ** (l + 1), f * 2 ** l, 2, stride=2) for l in range(depth)])
        s.dec = nn.ModuleList([block(f * 2 ** (l + 1), f * 2 ** l) for l in range(depth)])
        s.head = nn.Conv3d(f, 2, 1)
    def forward(s, x):
        skips = []
        for e in s.enc:
            x = e(x); skips.append(x); x = nn.functional.max_pool3d(x, 2)
        x = s.bott(x)
        for l in reversed(range(len(s.enc))):
            x = s.dec[l](torch.cat([skips[l], s.up[l](x)], 1))
        return s.head(x)
def starts(e, w, st):
    if e <= w: return [0]
    r = list(range(0, e - w, st)) + [e - w]
    return sorted(set(r))
net = UNet().eval()
img = torch.randn(1, 1, *D)
g = [torch.exp(-((torch.arange(W) - (W - 1) / 2) ** 2) / (2 * (0.125 * W) ** 2)) for _ in range(3)]
imp = (g[0][:, None, None] * g[1][None, :, None] * g[2][None, None, :]); imp = (imp / imp.max()).clamp(min=1e-6)
st = max(1, int(W * (1 - ov)))
pos = [(a, b, c) for a in starts(D[0], W, st) for b in starts(D[1], W, st) for c in starts(D[2], W, st)]
with torch.no_grad():
    net(torch.zeros(1, 1, W, W, W))
    t0 = time.time()
    acc = torch.zeros(2, *D); wsum = torch.zeros(*D)
    for i in range(0, len(pos), 2):
        grp = pos[i:i + 2]
        x = torch.cat([img[:, :, a:a + W, b:b + W, c:c + W] for a, b, c in grp])
        y = torch.softmax(net(x), 1)
        for k, (a, b, c) in enumerate(grp):
            acc[:, a:a + W, b:b + W, c:c + W] += y[k] * imp
            wsum[a:a + W, b:b + W, c:c + W] += imp
    out = acc / wsum
    print(time.time() - t0, len(pos))
`;
if (existsSync(python) && spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0) {
  note('inference: running the PyTorch peer');
  noteBlasOnce();
  const r = spawnSync(python, ['-c', torchScript, String(window)], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '2' } });
  if (r.status === 0) {
    const [torchSeconds, torchWindows] = r.stdout.trim().split(/\s+/).map(Number);
    rows.push({ name: `unet3d ${shape.join('x')}`, engine: 'pytorch', seconds: torchSeconds!, windows: torchWindows!, voxelsPerSecond: image.length / torchSeconds!, ratioToPytorch: 1 });
    rows[0]!.ratioToPytorch = seconds / torchSeconds!;
  } else {
    note(`inference: the PyTorch peer failed: ${r.stderr.trim().split('\n').pop() ?? ''}`);
  }
} else {
  note('inference: python3-torch not installed (apt-get install python3-torch): no PyTorch peer');
}
printRows('inference', rows);
