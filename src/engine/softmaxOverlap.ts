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
 */
export const SOFTMAX_OVERLAP_KERNEL = 'GendiceSoftmaxOverlap';
export const SOFTMAX_OVERLAP_GRAD_KERNEL = 'GendiceSoftmaxOverlapGrad';

type Native = NonNullable<NativeAddon['softmaxOverlap']>;

/** The rules the forward kernel can check the target against while it reads it (the losses' input checks). */
export type TargetRule = 'none' | 'unitInterval' | 'binary';
const TARGET_RULES: Record<string, number> = { none: 0, unitInterval: 1, binary: 2 };

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

function kernels(native: Native): { forward: KernelFunction; backward: KernelFunction } {
  return {
    forward: (args) => {
      const backend = args.backend as CpuBackend;
      const { logits, target } = args.inputs as { logits: tf.TensorInfo; target: tf.TensorInfo };
      const [B, , C] = dimsOf(logits, target);
      const stats = new Float32Array(B * 3 * C); // [B, 3, C] as the addon gives it
      // -1: not checked (an addon without the checks leaves them so), else 0 passes, 1 breaks.
      const checks = new Int32Array([-1, -1]);
      const rule = TARGET_RULES[String(args.attrs?.targetRule ?? 'none')];
      if (rule === undefined) throw new Error(`${SOFTMAX_OVERLAP_KERNEL}: targetRule must be one of ${Object.keys(TARGET_RULES).join(', ')}, got ${String(args.attrs?.targetRule)}`);
      native(0, values(backend, logits), values(backend, target), [B, logits.shape[1]!, C], stats, checks, rule);
      if (rule === 0) checks[1] = -1; // no rule: the target was not checked
      const sums = [0, 1, 2].map((row) => {
        const out = new Float32Array(B * C);
        for (let b = 0; b < B; b++) out.set(stats.subarray((b * 3 + row) * C, (b * 3 + row + 1) * C), b * C);
        return backend.makeTensorInfo([B, C], 'float32', out);
      });
      return [...sums, backend.makeTensorInfo([2], 'int32', checks)];
    },
    backward: (args) => {
      const backend = args.backend as CpuBackend;
      const { dtp, dsumP, logits, target } = args.inputs as Record<'dtp' | 'dsumP' | 'logits' | 'target', tf.TensorInfo>;
      const dims = dimsOf(logits, target);
      const [B, , C] = dims;
      const dStats = new Float32Array(B * 3 * C); // the sumR row stays zero: the target is a constant
      const [tpValues, sumPValues] = [values(backend, dtp), values(backend, dsumP)];
      for (let b = 0; b < B; b++) {
        dStats.set(tpValues.subarray(b * C, (b + 1) * C), b * 3 * C);
        dStats.set(sumPValues.subarray(b * C, (b + 1) * C), (b * 3 + 1) * C);
      }
      const dx = uninitialisedFloat32(B * dims[1] * C); // the kernel writes every element
      native(1, values(backend, logits), values(backend, target), dims, dx, dStats);
      return backend.makeTensorInfo(logits.shape.slice(), 'float32', dx);
    },
  };
}

let gradientRegistered = false;

/** Registers the fused kernels on cpu with the addon's loops (the native engine does, when the addon has them). */
export function registerSoftmaxOverlap(native: Native): void {
  const k = kernels(native);
  replaceKernel(SOFTMAX_OVERLAP_KERNEL, 'cpu', 'js', () => k.forward);
  replaceKernel(SOFTMAX_OVERLAP_GRAD_KERNEL, 'cpu', 'js', () => k.backward);
  if (gradientRegistered) return;
  tf.registerGradient({
    kernelName: SOFTMAX_OVERLAP_KERNEL,
    inputsToSave: ['logits', 'target'],
    gradFunc: (dy, saved) => {
      const [dtp, dsumP] = dy as tf.Tensor[];
      return {
        logits: () => tf.engine().runKernel(SOFTMAX_OVERLAP_GRAD_KERNEL, { dtp: dtp!, dsumP: dsumP!, logits: saved[0]!, target: saved[1]! }) as tf.Tensor,
        target: () => tf.zerosLike(saved[1]!),
      };
    },
  });
  gradientRegistered = true;
}

/** Whether the active backend has the fused kernel. */
export function softmaxOverlapAvailable(): boolean {
  return tf.getKernel(SOFTMAX_OVERLAP_KERNEL, tf.getBackend()) !== undefined;
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
  const targetRule = options.targetRule ?? 'none';
  const [tp, sumP, sumR, flags] = tf.engine().runKernel(SOFTMAX_OVERLAP_KERNEL, { logits, target }, { targetRule }) as unknown as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
  const [finite, rule] = flags.dataSync() as Int32Array;
  flags.dispose();
  const answer = (flag: number | undefined): boolean | undefined => (flag === 0 ? true : flag === 1 ? false : undefined);
  return { tp, sumP, sumR, checks: { logitsFinite: answer(finite), targetPasses: answer(rule) } };
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
