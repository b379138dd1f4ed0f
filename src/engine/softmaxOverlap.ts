import * as tf from '@tensorflow/tfjs';
import type { NativeAddon } from './nativeAddon.js';
import { floatValues, type CpuBackend } from './cpuBackend.js';
import { replaceKernel, type KernelFunction } from './kernelRegistry.js';
import { uninitialisedFloat32 } from './outputArrays.js';

/**
 * The softmax over channels fused with the overlap sums of the Dice-type losses, as a kernel of its own
 * with a gradient: `GendiceSoftmaxOverlap` (inputs `logits`, `target`, both float32 `[B, S, C]`) gives three
 * outputs `[B, C]`: per image and class tp = Σ p·r, sumP = Σ p, sumR = Σ r, with p = softmax(logits) over C
 * (three outputs rather than one `[B, 3, C]` to unstack: TF.js's cpu Unpack took 1–20 ms on [16, 3, 4]),
 * and a fourth, int32 `[2]`: whether the logits are all finite and the target passes the attribute
 * `targetRule` ('none', 'unitInterval', 'binary'), checked while the kernel reads them (1 breaks, 0 passes,
 * −1 not checked), so that the losses need no separate pass over both arrays for their input checks.
 * Its gradient `GendiceSoftmaxOverlapGrad` (inputs dtp, dsumP `[B, C]`, logits, target) gives d logits in one
 * pass, recomputing p (nothing of size [B, S, C] is saved besides the inputs); the target gets none (TF.js
 * asks for it only when the target itself is differentiated). Registered on the native engine's cpu backend
 * when the addon has `softmaxOverlap`; elsewhere it is absent and the losses compose softmax and sums as
 * before (`softmaxOverlapAvailable()`). Values equal the composition within float32 rounding (the kernel's
 * exp differs from TF.js's in the last bits; sums in double; test/engine/softmaxOverlap.test.ts).
 *
 * With the attribute `statistics: 'all'` (addons that have it: `softmaxStatisticsAvailable()`) the kernel gives
 * six sums instead of three, for the sensitivity-specificity and cross-entropy losses: tp, sumP, sumR, sqDiff
 * Σ (p − r)², sqDiffR Σ (p − r)²·r and rLogP Σ r·log p (log p as TF.js's logSoftmax), and the gradient kernel
 * takes one upstream gradient per sum (an unused sum's null becomes zeros).
 */
export const SOFTMAX_OVERLAP_KERNEL = 'GendiceSoftmaxOverlap';
export const SOFTMAX_OVERLAP_GRAD_KERNEL = 'GendiceSoftmaxOverlapGrad';

type Native = NonNullable<NativeAddon['softmaxOverlap']>;

/** The rules the forward kernel can check the target against while it reads it (the losses' input checks). */
export type TargetRule = 'none' | 'unitInterval' | 'binary';
const TARGET_RULES: Record<string, number> = { none: 0, unitInterval: 1, binary: 2 };

/** The sums of the 'overlap' (three) and 'all' (six) statistics, in the kernels' output order. */
export const OVERLAP_SUMS = ['tp', 'sumP', 'sumR'] as const;
export const ALL_SOFTMAX_SUMS = ['tp', 'sumP', 'sumR', 'sqDiff', 'sqDiffR', 'rLogP'] as const;
export type SoftmaxSum = (typeof ALL_SOFTMAX_SUMS)[number];
export type SoftmaxStatistics = 'overlap' | 'all';
/** The gradient kernel's inputs for the upstream gradients of the sums (the sumR row gets none). */
const UPSTREAM = { tp: 'dtp', sumP: 'dsumP', sumR: undefined, sqDiff: 'dsqDiff', sqDiffR: 'dsqDiffR', rLogP: 'drLogP' } as const;

function values(backend: CpuBackend, t: tf.TensorInfo): Float32Array {
  return floatValues(backend, t) ?? Float32Array.from(backend.data.get(t.dataId).values as ArrayLike<number>);
}

function dimsOf(logits: tf.TensorInfo, target: tf.TensorInfo): [number, number, number] {
  const [B, S, C] = logits.shape;
  if (logits.shape.length !== 3 || target.shape.join(',') !== logits.shape.join(',') || logits.dtype !== 'float32' || target.dtype !== 'float32') {
    throw new Error(`${SOFTMAX_OVERLAP_KERNEL}: logits and target must be float32 [B, S, C] of one shape, got [${logits.shape.join(', ')}] ${logits.dtype} and [${target.shape.join(', ')}] ${target.dtype}`);
  }
  return [B!, S!, C!];
}

function statisticsOf(attrs: tf.NamedAttrMap | undefined): SoftmaxStatistics {
  const statistics = String(attrs?.statistics ?? 'overlap');
  if (statistics !== 'overlap' && statistics !== 'all') throw new Error(`${SOFTMAX_OVERLAP_KERNEL}: statistics must be 'overlap' or 'all', got ${statistics}`);
  return statistics;
}

function sumsOf(statistics: SoftmaxStatistics): readonly SoftmaxSum[] {
  return statistics === 'all' ? ALL_SOFTMAX_SUMS : OVERLAP_SUMS;
}

function kernels(native: Native): { forward: KernelFunction; backward: KernelFunction } {
  return {
    forward: (args) => {
      const backend = args.backend as CpuBackend;
      const { logits, target } = args.inputs as { logits: tf.TensorInfo; target: tf.TensorInfo };
      const [B, , C] = dimsOf(logits, target);
      const statistics = statisticsOf(args.attrs);
      const rows = sumsOf(statistics).length;
      const stats = new Float32Array(B * rows * C); // [B, rows, C] as the addon gives it
      // -1: not checked (an addon without the checks leaves them so), else 0 passes, 1 breaks.
      const checks = new Int32Array([-1, -1]);
      const rule = TARGET_RULES[String(args.attrs?.targetRule ?? 'none')];
      if (rule === undefined) throw new Error(`${SOFTMAX_OVERLAP_KERNEL}: targetRule must be one of ${Object.keys(TARGET_RULES).join(', ')}, got ${String(args.attrs?.targetRule)}`);
      native(statistics === 'all' ? 2 : 0, values(backend, logits), values(backend, target), [B, logits.shape[1]!, C], stats, checks, rule);
      if (rule === 0) checks[1] = -1; // no rule: the target was not checked
      const sums = Array.from({ length: rows }, (_, row) => {
        const out = new Float32Array(B * C);
        for (let b = 0; b < B; b++) out.set(stats.subarray((b * rows + row) * C, (b * rows + row + 1) * C), b * C);
        return backend.makeTensorInfo([B, C], 'float32', out);
      });
      return [...sums, backend.makeTensorInfo([2], 'int32', checks)];
    },
    backward: (args) => {
      const backend = args.backend as CpuBackend;
      const inputs = args.inputs as Record<string, tf.TensorInfo>;
      const { logits, target } = inputs as Record<'logits' | 'target', tf.TensorInfo>;
      const dims = dimsOf(logits, target);
      const [B, , C] = dims;
      const statistics = statisticsOf(args.attrs);
      const sums = sumsOf(statistics);
      const rows = sums.length;
      const dStats = new Float32Array(B * rows * C); // the sumR row stays zero: the target is a constant
      sums.forEach((sum, row) => {
        const name = UPSTREAM[sum];
        if (name === undefined) return;
        const upstream = inputs[name];
        if (upstream === undefined) throw new Error(`${SOFTMAX_OVERLAP_GRAD_KERNEL}: missing input ${name}`);
        const v = values(backend, upstream);
        for (let b = 0; b < B; b++) dStats.set(v.subarray(b * C, (b + 1) * C), (b * rows + row) * C);
      });
      const dx = uninitialisedFloat32(B * dims[1] * C); // the kernel writes every element
      native(statistics === 'all' ? 3 : 1, values(backend, logits), values(backend, target), dims, dx, dStats);
      return backend.makeTensorInfo(logits.shape.slice(), 'float32', dx);
    },
  };
}

let gradientRegistered = false;
let allStatistics = false;

/** Whether the addon knows modes 2 and 3 (the six sums): a call on one voxel, which older addons refuse. */
function hasAllStatistics(native: Native): boolean {
  try {
    native(2, new Float32Array(2), new Float32Array(2), [1, 1, 2], new Float32Array(12));
    return true;
  } catch {
    return false;
  }
}

/** Registers the fused kernels on cpu with the addon's loops (the native engine does, when the addon has them). */
export function registerSoftmaxOverlap(native: Native): void {
  const k = kernels(native);
  allStatistics = hasAllStatistics(native);
  replaceKernel(SOFTMAX_OVERLAP_KERNEL, 'cpu', 'js', () => k.forward);
  replaceKernel(SOFTMAX_OVERLAP_GRAD_KERNEL, 'cpu', 'js', () => k.backward);
  if (gradientRegistered) return;
  tf.registerGradient({
    kernelName: SOFTMAX_OVERLAP_KERNEL,
    inputsToSave: ['logits', 'target'],
    gradFunc: (dy, saved, attrs) => {
      const upstream = dy as Array<tf.Tensor | null>;
      const statistics = statisticsOf(attrs);
      const [logits, target] = saved as [tf.Tensor, tf.Tensor];
      const rows = logits.shape[0]!;
      const classes = logits.shape[2]!;
      return {
        logits: () => {
          const inputs: Record<string, tf.Tensor> = { logits, target };
          sumsOf(statistics).forEach((sum, i) => {
            const name = UPSTREAM[sum];
            // An output outside the backward pass has a null gradient: zeros stand for it.
            if (name !== undefined) inputs[name] = upstream[i] ?? tf.zeros([rows, classes]);
          });
          return tf.engine().runKernel(SOFTMAX_OVERLAP_GRAD_KERNEL, inputs, { statistics }) as tf.Tensor;
        },
        target: () => tf.zerosLike(target),
      };
    },
  });
  gradientRegistered = true;
}

/** Whether the active backend has the fused kernel. */
export function softmaxOverlapAvailable(): boolean {
  return tf.getKernel(SOFTMAX_OVERLAP_KERNEL, tf.getBackend()) !== undefined;
}

/** Whether the active backend has the fused kernel with its six sums (`fusedSoftmaxStatistics`). */
export function softmaxStatisticsAvailable(): boolean {
  return softmaxOverlapAvailable() && allStatistics;
}

function runForward<K extends SoftmaxSum>(
  logits: tf.Tensor3D,
  target: tf.Tensor3D,
  statistics: SoftmaxStatistics,
  targetRule: TargetRule,
): Record<K, tf.Tensor2D> & { checks: SoftmaxOverlapChecks } {
  const outputs = tf.engine().runKernel(SOFTMAX_OVERLAP_KERNEL, { logits, target }, { targetRule, statistics }) as unknown as tf.Tensor[];
  const flags = outputs.pop()!;
  const [finite, rule] = flags.dataSync() as Int32Array;
  flags.dispose();
  const answer = (flag: number | undefined): boolean | undefined => (flag === 0 ? true : flag === 1 ? false : undefined);
  const out = { checks: { logitsFinite: answer(finite), targetPasses: answer(rule) } } as Record<K, tf.Tensor2D> & { checks: SoftmaxOverlapChecks };
  sumsOf(statistics).forEach((sum, i) => ((out as Record<string, unknown>)[sum] = outputs[i]));
  return out;
}

/**
 * tp, sumP, sumR (each `[B, C]`) of softmax(logits) against target (both float32 `[B, S, C]`) by the fused
 * kernel, differentiable in logits. Only where `softmaxOverlapAvailable()`.
 */
export function fusedSoftmaxOverlap(
  logits: tf.Tensor3D,
  target: tf.Tensor3D,
  options: { targetRule?: TargetRule } = {},
): { tp: tf.Tensor2D; sumP: tf.Tensor2D; sumR: tf.Tensor2D; checks: SoftmaxOverlapChecks } {
  return runForward<(typeof OVERLAP_SUMS)[number]>(logits, target, 'overlap', options.targetRule ?? 'none');
}

/**
 * The six sums (each `[B, C]`) of p = softmax(logits) and the target: tp, sumP, sumR, sqDiff Σ (p − r)²,
 * sqDiffR Σ (p − r)²·r, rLogP Σ r·log p, by the fused kernel in one pass, differentiable in logits. Only
 * where `softmaxStatisticsAvailable()`.
 */
export function fusedSoftmaxStatistics(
  logits: tf.Tensor3D,
  target: tf.Tensor3D,
  options: { targetRule?: TargetRule } = {},
): Record<SoftmaxSum, tf.Tensor2D> & { checks: SoftmaxOverlapChecks } {
  return runForward<SoftmaxSum>(logits, target, 'all', options.targetRule ?? 'none');
}

/**
 * What the forward kernel found while it read its inputs: true (every value passes), false (some value
 * breaks the rule) or undefined (not checked: `targetRule` 'none', or an addon without the checks).
 */
export interface SoftmaxOverlapChecks {
  /** No logit is NaN or ±Inf. */
  logitsFinite: boolean | undefined;
  /** Every target value passes `targetRule`. */
  targetPasses: boolean | undefined;
}
