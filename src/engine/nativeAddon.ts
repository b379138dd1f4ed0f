/**
 * The oneDNN addon's interface, as the engine's kernels see it. Universal: the kernels receive the
 * addon object; loading it from a file is Node-only (node/addon.ts).
 */
/** The functions of the oneDNN addon (declared in native/src/kernels.h, registered in native/src/addon.cc). */
export interface NativeAddon {
  /**
   * One convolution. dims are oneDNN's logical dims: activations (N, C, [D,] H, W) stored channels-last,
   * weights (O, I, [D,] H, W) stored [D,]HWIO; dilations count from 0 (oneDNN's convention).
   * mode 0 forward (a = src, b = weights, out = dst, optional bias and activation code),
   * mode 1 backward data (a = diffDst, b = weights, out = diffSrc),
   * mode 2 backward weights (a = src, b = diffDst, out = diffWeights).
   */
  conv(
    mode: 0 | 1 | 2,
    srcDims: number[],
    weightDims: number[],
    dstDims: number[],
    strides: number[],
    dilations: number[],
    padL: number[],
    padR: number[],
    a: Float32Array,
    b: Float32Array,
    out: Float32Array,
    bias?: Float32Array | null,
    activation?: number,
    alpha?: number,
  ): void;
  dnnlVersion(): string;
  /** The instruction set of oneDNN's JIT kernels on this CPU ('avx512_core', 'avx2', ...); absent from addons built before it. */
  cpuIsa?(): string;
  /** glibc's malloc keeps freed memory for reuse (no fresh mappings for large arrays); false where it cannot (not glibc). Absent from addons built before it. */
  retainFreedMemory?(): boolean;
  /** Memory-bound kernels (absent from addons built before them; the JS kernels are used then). */
  binary?: NativeMemoryKernels['binary'];
  unary?: NativeMemoryKernels['unary'];
  sum?: NativeMemoryKernels['sum'];
  maxPool?: NativeMemoryKernels['maxPool'];
  copyRuns?: NativeMemoryKernels['copyRuns'];
  transcendental?: NativeMemoryKernels['transcendental'];
  /**
   * Fused max-out over channel blocks (src/engine/maxout.ts): mode 0 `out` = y; mode 1 `out` = dx
   * (zero-filled by the caller) from `dy`. Absent from addons built before it (JS loops then).
   */
  maxout?(mode: 0 | 1, x: Float32Array, channels: number, pieces: number, out: Float32Array, dy?: Float32Array): void;
  /**
   * One fused optimizer update of a weight (src/engine/optimizerUpdate.ts); outputs may be the inputs.
   * Kind 0 Adam: (w, g, m, v, wOut, mOut, vOut, β1, 1−β1, β2, 1−β2, 1−β1ᵗ, 1−β2ᵗ, ε, −lr);
   * kind 1 SGD with momentum: (w, g, a, wOut, aOut, μ, −lr). Absent from addons built before it.
   */
  optimizerUpdate?(kind: 0 | 1, ...args: Array<Float32Array | number>): void;
  /** The first index breaking rule `kind` (0 finite, 1 in [0, 1], 2 binary, 3 integer in [0, limit)), or −1 (valueScan.ts). */
  scanValues?(kind: number, values: Float32Array | Int32Array, limit: number): number;
  /**
   * Softmax over channels fused with the overlap sums (src/engine/softmaxOverlap.ts), dims [B, S, C]:
   * mode 0 `out` = [B, 3, C] (tp, sumP, sumR), and with an Int32Array(2) as sixth argument and a target
   * rule (0 none, 1 unit interval, 2 binary) as seventh, [logits not all finite, target breaks the rule]
   * as 0/1 (addons built before the checks leave it as it was); mode 1 `out` = d logits from `dStats` [B, 3, C].
   * Modes 2 and 3 (absent from addons built before them: they throw "unknown mode") the same with six rows:
   * tp, sumP, sumR, sqDiff Σ (p − r)², sqDiffR Σ (p − r)²·r, rLogP Σ r·log p.
   */
  softmaxOverlap?(mode: 0 | 1 | 2 | 3, logits: Float32Array, target: Float32Array, dims: number[], out: Float32Array, dStats?: Float32Array | Int32Array, rule?: number): void;
  /**
   * Sliding-window blending (src/engine/windowBlend.ts), absent from addons built before it. For each voxel
   * of `box` (row-major; `weights` over the box, `values` [box, channels] from `valuesOffset`), the grid
   * cell at `start` + voxel: weightSums[cell] += w, acc[cell·channels + c] += w·value (in double).
   */
  blendWindow?(acc: Float64Array, weightSums: Float64Array, grid: number[], channels: number, values: Float32Array, valuesOffset: number, weights: Float64Array, box: number[], start: number[]): void;
  /** out [extent, channels] = float32(acc / weightSums) over the grid's corner `extent` (≤ grid). */
  normaliseBlend?(acc: Float64Array, weightSums: Float64Array, grid: number[], channels: number, extent: number[], out: Float32Array): void;
  /** out = dy · step(y), the ReLU gradient in one pass (src/engine/fusedConvolution.ts). Absent from addons built before it. */
  reluGrad?(dy: Float32Array, y: Float32Array, out: Float32Array): void;
}

/** The addon's single-threaded memory-bound loops, used by jsElementwise.ts and jsReduce.ts when present. */
export interface NativeMemoryKernels {
  /** out = a op b (0 add, 1 sub, 2 mul, 3 div) over blocks of axes with element strides (0 = broadcast). */
  binary(op: number, out: Float32Array, a: Float32Array, b: Float32Array, dims: number[], aStr: number[], bStr: number[]): void;
  /** op 0 relu, 1 step with `alpha` (NaN passes through both), 2 neg, 3 abs, 4 sqrt, 5 square. */
  unary(op: number, x: Float32Array, out: Float32Array, alpha: number): void;
  /** Sum over alternating kept/reduced blocks of axes (reduced: 1/0 per block), accumulated in double. */
  sum(x: Float32Array, out: Float32Array, dims: number[], reduced: number[]): void;
  /**
   * Max pooling over NDHWC, TF.js's tie rule. geometry: [batch, channels, D, H, W, OD, OH, OW, filter×3,
   * strides×3, dilations×3, pads (front, top, left)]. Mode 0: `a` = output; mode 1: `a` = dy, dx += at the maxima.
   */
  maxPool(mode: 0 | 1, x: Float32Array, geometry: number[], a: Float32Array, dx?: Float32Array): void;
  /** `count` runs of `run` floats: the k-th from src[srcOffset + k·srcStride] to dst[dstOffset + k·dstStride]. */
  copyRuns(src: Float32Array, srcOffset: number, srcStride: number, dst: Float32Array, dstOffset: number, dstStride: number, run: number, count: number): void;
  /**
   * op 0 exp, 1 log, 2 log1p, 3 sigmoid, 4 tanh: the double function rounded to float32, as TF.js's cpu
   * kernels (OpenMP from 2¹⁶ elements). Absent from addons built before it (the JS loops are used then).
   */
  transcendental?(op: number, x: Float32Array, out: Float32Array): void;
}

/** The addon's memory-bound kernels when it has them all, else undefined. */
export function memoryKernels(addon: NativeAddon | undefined): NativeMemoryKernels | undefined {
  if (addon === undefined) return undefined;
  const { binary, unary, sum, maxPool, copyRuns, transcendental } = addon;
  if ([binary, unary, sum, maxPool, copyRuns].some((f) => typeof f !== 'function')) return undefined;
  const kernels: NativeMemoryKernels = { binary: binary!, unary: unary!, sum: sum!, maxPool: maxPool!, copyRuns: copyRuns! };
  if (typeof transcendental === 'function') kernels.transcendental = transcendental.bind(addon);
  return kernels;
}
