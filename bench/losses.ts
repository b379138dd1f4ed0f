/**
 * `npm run bench -- losses [--json] [--repeats N]`: forward + backward time of every loss on
 * [4, 96, 96, 96, 2] and [16, 256, 256, 4] (one-hot targets, softmax logits), voxels/s, and for GDL
 * the ratio to a naive composition of TF.js ops written as a user would (same numbers, checked), and for
 * GDL, WCE and SS to PyTorch (Debian's /usr/bin/python3 with torch, 2 threads, same OMP_WAIT_POLICY as the
 * engine) in the same run: the same losses with gendice's defaults (GDL: square weights, an absent class gets
 * the image's largest weight, smoothing 1e-5; WCE: weights from the reference's volumes; SS: λ 0.05, the
 * foreground of two classes, summed over the classes beyond) written as a MONAI user would, channels first,
 * forward + backward on the same inputs (handed over as raw float32 / uint8 files; each loss value is checked
 * against gendice's). `--no-pytorch` skips the peer;
 * `--losses gdl,dice` times only those (GDL always). On the native engine a `gdl-composed` row times GDL
 * with the fused softmax-overlap kernel unregistered (the composed path), in the same run. `--profile` adds, per
 * shape, where one GDL forward + backward spends its time (tf.profile: each kernel's total, and the wall time
 * outside kernels: input checks, tape, allocation), on stderr.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { OMP_WAIT_POLICY_DEFAULT } from '../src/engine/node/addon.js';
import { getLoss, LOSS_NAMES } from '../src/losses/index.js';
import { SOFTMAX_OVERLAP_KERNEL, softmaxOverlapAvailable } from '../src/engine/index.js';
import { selectEngine } from '../src/engine/node/index.js';
import { type BenchRow, kernelTotals, note, noteBlasOnce, printRows, timeMs } from './_common.js';

await selectEngine();
const repeatsArg = process.argv.indexOf('--repeats');
const repeats = repeatsArg > 0 ? Number(process.argv[repeatsArg + 1]) : 3;
const lossesArg = process.argv.indexOf('--losses');
const lossNames = lossesArg > 0 ? (process.argv[lossesArg + 1] ?? '').split(',') : [...LOSS_NAMES];

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

const PYTORCH_LOSSES = String.raw`
import json, sys, time, torch
torch.set_num_threads(2)
shape = json.loads(sys.argv[1]); folder = sys.argv[2]; repeats = int(sys.argv[3]); names = sys.argv[4].split(",")
C = shape[-1]; spatial = len(shape) - 2; B = shape[0]
def read(name, dtype):
    with open(folder + "/" + name, "rb") as f: return torch.frombuffer(bytearray(f.read()), dtype=dtype)
# channels last on disk (TF.js's layout), channels first here (PyTorch's and MONAI's)
perm = [0, len(shape) - 1] + list(range(1, len(shape) - 1))
logits = read("logits.f32", torch.float32).reshape(shape).permute(perm).contiguous()
labels = read("labels.u8", torch.uint8).reshape(shape[:-1]).long()
target = torch.nn.functional.one_hot(labels, C).permute(perm).contiguous().float()
axes = list(range(2, 2 + spatial))
N = target[0, 0].numel()
def gdl(y, t):
    p = torch.softmax(y, 1)
    tp = (t * p).sum(axes); ground = t.sum(axes); den = ground + p.sum(axes)
    raw = 1.0 / ground ** 2
    absent = torch.isinf(raw); finite = torch.where(absent, torch.zeros_like(raw), raw)
    w = torch.where(absent, finite.max(1, keepdim=True).values.expand_as(finite), finite)
    num = 2 * (w * tp).sum(1) + 1e-5; dd = (w * den).sum(1) + 1e-5
    return (1 - num / dd).mean()
def wce(y, t):
    # Sudre et al.'s weighted cross-entropy per image: w_0 = 1, w_l = (N - V_l) / V_l from the reference
    logp = torch.log_softmax(y, 1)
    v = t.sum(axes)
    w = (N - v) / v.clamp_min(1e-7); w[:, 0] = 1
    return (-(w.view(B, C, *([1] * spatial)) * t * logp).sum([1] + axes) / N).mean()
def ss(y, t, lam=0.05, eps=1e-5):
    # sensitivity-specificity: the foreground channel for two classes, summed over all classes beyond
    p = torch.softmax(y, 1)
    if C <= 2: p, t = p[:, C - 1:], t[:, C - 1:]
    d2 = (t - p) ** 2
    sens = (d2 * t).sum(axes) / (t.sum(axes) + eps)
    spec = (d2 * (1 - t)).sum(axes) / ((1 - t).sum(axes) + eps)
    return (lam * sens + (1 - lam) * spec).sum(1).mean()
x = logits.requires_grad_(True)
out = {"torch": torch.__version__}
for name in names:
    f = {"gdl": gdl, "wce": wce, "ss": ss}[name]
    def step():
        # the gradient as a new tensor, as gendice's: no clone of the input and no accumulation into x.grad
        l = f(x, target); (g,) = torch.autograd.grad(l, x); return l.item()
    value = step(); t = []
    for _ in range(repeats):
        t0 = time.perf_counter(); step(); t.append((time.perf_counter() - t0) * 1000)
    t.sort(); out[name] = {"ms": t[len(t) // 2], "value": value}
print(json.dumps(out))
`;

/** The losses PyTorch times as a user would write them (the same formulas and defaults as gendice's). */
const PYTORCH_NAMES = ['gdl', 'wce', 'ss'];

/**
 * PyTorch's forward + backward of `names` on the same inputs, by loss, or undefined (no python3/torch, or
 * --no-pytorch).
 */
function pytorchLosses(shape: number[], labels: Int32Array, yPred: tf.Tensor, names: string[]): Map<string, { ms: number; value: number }> | undefined {
  if (process.argv.includes('--no-pytorch') || !existsSync('/usr/bin/python3')) return undefined;
  const folder = mkdtempSync(join(tmpdir(), 'gendice-bench-losses-'));
  try {
    writeFileSync(join(folder, 'logits.f32'), yPred.dataSync() as Float32Array);
    writeFileSync(join(folder, 'labels.u8'), Uint8Array.from(labels));
    const env = { ...process.env, OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? OMP_WAIT_POLICY_DEFAULT };
    noteBlasOnce();
    const r = spawnSync('/usr/bin/python3', ['-c', PYTORCH_LOSSES, JSON.stringify(shape), folder, String(repeats), names.join(',')], { encoding: 'utf8', env });
    if (r.status !== 0) {
      note(`losses: PyTorch peer unavailable (${(r.stderr ?? '').trim().split('\n').pop() ?? 'no output'})`);
      return undefined;
    }
    const parsed = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Record<string, { ms: number; value: number }> & { torch: string };
    const out = new Map<string, { ms: number; value: number }>();
    for (const name of names) {
      const e = parsed[name]!;
      note(`losses: PyTorch ${parsed.torch} ${name} [${shape.join(',')}] ${e.ms.toFixed(0)} ms (loss ${e.value})`);
      out.set(name, e);
    }
    return out;
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

function inputs(shape: number[]): { yTrue: tf.Tensor; yPred: tf.Tensor; labels: Int32Array } {
  const C = shape[shape.length - 1]!;
  const voxels = shape.slice(0, -1).reduce((a, v) => a * v, 1);
  const labels = new Int32Array(voxels);
  // About 1% foreground spread over the foreground classes.
  for (let i = 0; i < voxels; i++) labels[i] = (i * 2654435761) % 100 === 0 ? 1 + (i % (C - 1)) : 0;
  const yTrue = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), C).reshape(shape).toFloat());
  const yPred = tf.randomNormal(shape, 0, 1, 'float32', 7);
  return { yTrue, yPred, labels };
}

/** One GDL forward + backward under tf.profile: per-kernel totals and the time outside kernels, on stderr. */
async function profileGdl(tag: string, step: () => void): Promise<void> {
  step();
  const t0 = performance.now();
  const info = await tf.profile(step);
  const wall = performance.now() - t0;
  const byKernel = kernelTotals(info.kernels);
  const inKernels = [...byKernel.values()].reduce((a, e) => a + e.ms, 0);
  const top = [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, 8);
  note(`losses: profile gdl ${tag}: ${wall.toFixed(1)} ms, kernels ${inKernels.toFixed(1)} ms (${info.kernels.length} calls), outside kernels ${(wall - inKernels).toFixed(1)} ms`);
  for (const [name, e] of top) note(`  ${name} ${e.ms.toFixed(1)} ms x${e.calls}`);
}

const rows: BenchRow[] = [];
for (const shape of [
  [4, 96, 96, 96, 2],
  [16, 256, 256, 4],
]) {
  const { yTrue, yPred, labels } = inputs(shape);
  const voxels = yPred.size / shape[shape.length - 1]!;
  const tag = `[${shape.join(',')}]`;
  const run = (f: (t: tf.Tensor, p: tf.Tensor) => tf.Tensor) => () => {
    const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => f(yTrue, x) as tf.Scalar)(yPred);
    value.dataSync();
    grad.dataSync();
    tf.dispose([value, grad]);
  };
  if (process.argv.includes('--profile')) await profileGdl(tag, run(getLoss('gdl')));
  let gdlMs = 0;
  for (const name of LOSS_NAMES.filter((n) => n === 'gdl' || lossNames.includes(n))) {
    if (name === 'dl2' && shape[shape.length - 1] !== 2) continue;
    if (name === 'ss' && shape[shape.length - 1]! > 2) {
      note(`losses: ss on ${tag} uses form 'sum'`);
    }
    const loss = getLoss(name);
    const ms = await timeMs(run(loss), repeats, 1);
    if (name === 'gdl') gdlMs = ms;
    note(`losses: ${name} ${tag} ${ms.toFixed(0)} ms`);
    rows.push({ name: `${name} ${tag}`, loss: name, shape: tag, ms, voxelsPerSecond: voxels / (ms / 1000), ratioToNaiveGdl: null, ratioToPytorch: null });
  }
  if (softmaxOverlapAvailable()) {
    // The same GDL with the engine's fused softmax-overlap kernel taken away: the composed path of before.
    const config = tf.getKernel(SOFTMAX_OVERLAP_KERNEL, tf.getBackend())!;
    tf.unregisterKernel(SOFTMAX_OVERLAP_KERNEL, tf.getBackend());
    const composedMs = await timeMs(run(getLoss('gdl')), repeats, 1);
    tf.registerKernel(config);
    note(`losses: gdl composed (no fused kernel) ${tag} ${composedMs.toFixed(0)} ms`);
    rows.push({ name: `gdl-composed ${tag}`, loss: 'gdl-composed', shape: tag, ms: composedMs, voxelsPerSecond: voxels / (composedMs / 1000), ratioToNaiveGdl: null, ratioToPytorch: null });
  }
  const a = getLoss('gdl')(yTrue, yPred).dataSync()[0]!;
  const b = naiveGdl(yTrue, yPred).dataSync()[0]!;
  if (Math.abs(a - b) > 1e-5) throw new Error(`bench losses: gendice GDL ${a} and naive GDL ${b} disagree`);
  const naiveMs = await timeMs(run(naiveGdl), repeats, 1);
  note(`losses: naive gdl ${tag} ${naiveMs.toFixed(0)} ms`);
  rows.push({ name: `naive-gdl ${tag}`, loss: 'naive-gdl', shape: tag, ms: naiveMs, voxelsPerSecond: voxels / (naiveMs / 1000), ratioToNaiveGdl: 1, ratioToPytorch: null });
  const gdlRow = rows.find((r) => r.name === `gdl ${tag}`)!;
  gdlRow.ratioToNaiveGdl = gdlMs / naiveMs;
  const composedRow = rows.find((r) => r.name === `gdl-composed ${tag}`);
  if (composedRow !== undefined) composedRow.ratioToNaiveGdl = Number(composedRow.ms) / naiveMs;
  const peers = PYTORCH_NAMES.filter((n) => rows.some((r) => r.name === `${n} ${tag}`));
  const torch = pytorchLosses(shape, labels, yPred, peers);
  for (const [name, peer] of torch ?? []) {
    const ours = getLoss(name)(yTrue, yPred).dataSync()[0]!;
    if (Math.abs(peer.value - ours) > 1e-4 * Math.max(1, Math.abs(ours))) throw new Error(`bench losses: gendice ${name} ${ours} and PyTorch's ${peer.value} disagree on ${tag}`);
    rows.push({ name: `pytorch-${name} ${tag}`, loss: `pytorch-${name}`, shape: tag, ms: peer.ms, voxelsPerSecond: voxels / (peer.ms / 1000), ratioToNaiveGdl: name === 'gdl' ? peer.ms / naiveMs : null, ratioToPytorch: 1 });
    const row = rows.find((r) => r.name === `${name} ${tag}`)!;
    row.ratioToPytorch = Number(row.ms) / peer.ms;
    if (name === 'gdl' && composedRow !== undefined) composedRow.ratioToPytorch = Number(composedRow.ms) / peer.ms;
  }
  tf.dispose([yTrue, yPred]);
}
note(`losses: backend ${tf.getBackend()}`);
printRows('losses', rows);
