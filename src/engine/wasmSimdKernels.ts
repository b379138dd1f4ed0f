import { wasmKernelsPlain, wasmKernelsShared } from './wasmKernelBinaries.js';

/**
 * gendice's own wasm SIMD kernels (native/wasm/*.c, linked into one module by scripts/build-wasm.mjs and
 * committed as wasmKernelBinaries.ts), run on TF.js's wasm heap itself: the module imports the backend's
 * memory, so it reads inputs and writes outputs where TF.js keeps them, with no copy. Universal: it needs
 * only WebAssembly. The kernels:
 * - `filter_gradient`: the filter gradient of a channels-last 3D (or 2D, as depth 1) convolution with any
 *   strides, dilations and padding, in tiles of one filter tap × 2 input channels × 16 output channels;
 * - `relu_grad`: dy · step(y), the gradient of a ReLU from its output, in one pass;
 * - `max_pool`, `max_pool_grad`: 3D (or 2D) max pooling and its gradient, with TF.js's tie and NaN rules.
 * Each call's work is a range of items (the filter gradient's tiles, the ReLU gradient's elements, the
 * pools' images). On more than one thread it runs through helpers that a platform installs
 * (setWasmKernelHelpers; Node's are in node/wasmKernelThreads.ts): each thread its own instance over the
 * same shared memory, each a contiguous range of the items. An item is always computed whole by one thread (a tile's sums run over the output
 * positions in one fixed order), so the values do not depend on the thread count or on the helpers.
 *
 * Edge-case policy: the filter gradient takes float32 channels-last convolutions whose output channels are
 * a multiple of 4 (filterGradientTakes); callers keep their composed paths for the rest. When the module
 * cannot be instantiated on the backend's memory (an engine without SIMD, a memory it cannot import),
 * wasmKernelInstance answers undefined, once and for good, and the composed paths run from then on.
 */

export type WasmKernelName = 'filter_gradient' | 'relu_grad' | 'max_pool' | 'max_pool_grad';
export const WASM_KERNELS: readonly WasmKernelName[] = ['filter_gradient', 'relu_grad', 'max_pool', 'max_pool_grad'];

export interface WasmKernelInstance {
  /** Items of a filter gradient (its tiles), from the geometry at `geometryPtr`. */
  tileCount(geometryPtr: number): number;
  /** Runs `kernel` on `args` and then the item range [i0, i1). */
  run(kernel: WasmKernelName, args: readonly number[], i0: number, i1: number): void;
}

type Exports = { tile_count(g: number): number } & Record<WasmKernelName, (...args: number[]) => void>;

function decode(base64: string): Uint8Array {
  const s = atob(base64);
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return bytes;
}

let modules: { shared?: WebAssembly.Module; plain?: WebAssembly.Module } = {};

/** The compiled module: the shared variant for a SharedArrayBuffer heap. Throws when it cannot compile. */
export function wasmKernelModule(shared: boolean): WebAssembly.Module {
  const key = shared ? 'shared' : 'plain';
  const cached = modules[key];
  if (cached !== undefined) return cached;
  const compiled = new WebAssembly.Module(decode(shared ? wasmKernelsShared : wasmKernelsPlain) as BufferSource);
  modules = { ...modules, [key]: compiled };
  return compiled;
}

export const isShared = (memory: WebAssembly.Memory): boolean => typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;

/** A fresh instance of the kernels over `memory` (uncached; throws when it cannot be made). */
export function instantiateWasmKernels(memory: WebAssembly.Memory): WasmKernelInstance {
  const instance = new WebAssembly.Instance(wasmKernelModule(isShared(memory)), { env: { memory } });
  const e = instance.exports as unknown as Exports;
  return { tileCount: (g) => e.tile_count(g), run: (kernel, args, i0, i1) => e[kernel](...args, i0, i1) };
}

const instances = new WeakMap<WebAssembly.Memory, WasmKernelInstance | null>();

/** The calling thread's instance over `memory`, made once; undefined (for good) when it cannot be made. */
export function wasmKernelInstance(memory: WebAssembly.Memory): WasmKernelInstance | undefined {
  let inst = instances.get(memory);
  if (inst === undefined) {
    try {
      inst = instantiateWasmKernels(memory);
    } catch {
      inst = null;
    }
    instances.set(memory, inst);
  }
  return inst ?? undefined;
}

/** The heap of TF.js's wasm backend: `wasmMemory` in its threaded build, the module's exported memory otherwise. */
export function wasmHeapMemory(backend: unknown): WebAssembly.Memory | undefined {
  const wasm = (backend as { wasm?: { wasmMemory?: unknown; asm?: { memory?: unknown } } }).wasm;
  const m = wasm?.wasmMemory ?? wasm?.asm?.memory;
  return m instanceof WebAssembly.Memory ? m : undefined;
}

/**
 * Other threads for the kernels: `run` hands `ranges[1..]` to `threads - 1` other threads over `memory`,
 * computes `ranges[0]` (and the range of any thread not ready) with `compute` on the calling thread, and
 * returns when all are done. The other threads call `kernel` with `args` followed by their range.
 */
export interface WasmKernelHelpers {
  memory: WebAssembly.Memory;
  threads: number;
  run(kernel: WasmKernelName, args: readonly number[], ranges: Array<[number, number]>, compute: (i0: number, i1: number) => void): void;
}

let helpers: WasmKernelHelpers | undefined;

/**
 * The least work worth a thread (a hand-off costs about as much): ReLU-gradient elements, and max-pool
 * window visits. Exported for tests, which lower them to split small tensors.
 */
export const wasmKernelTuning = { reluGradMinPerThread: 64 * 1024, poolMinVisitsPerThread: 64 * 1024 };

/** Installs (or with undefined removes) the helper threads; the kernels run on the calling thread alone without them. */
export function setWasmKernelHelpers(h: WasmKernelHelpers | undefined): void {
  helpers = h;
}

export function wasmKernelHelpers(): WasmKernelHelpers | undefined {
  return helpers;
}

/** [i0, i1) ranges of `items` for `parts` threads, contiguous, as even as whole multiples of `quantum` allow. */
export function itemRanges(items: number, parts: number, quantum = 1): Array<[number, number]> {
  const units = Math.ceil(items / quantum);
  const n = Math.max(1, Math.min(parts, units));
  const edge = (i: number): number => Math.min(items, Math.floor((i * units) / n) * quantum);
  return Array.from({ length: n }, (_, i) => [edge(i), edge(i + 1)] as [number, number]);
}

/** Runs `kernel` over [0, items) on the helpers' threads too when they serve this memory and the work is worth it. */
function runSplit(inst: WasmKernelInstance, memory: WebAssembly.Memory, kernel: WasmKernelName, args: readonly number[], items: number, quantum: number, minPerThread: number): void {
  const h = helpers !== undefined && helpers.memory === memory && helpers.threads > 1 ? helpers : undefined;
  const parts = h === undefined ? 1 : Math.min(h.threads, Math.floor(items / minPerThread));
  const compute = (i0: number, i1: number): void => inst.run(kernel, args, i0, i1);
  if (h === undefined || parts <= 1) compute(0, items);
  else h.run(kernel, args, itemRanges(items, parts, quantum), compute);
}

// ---- filter gradient ----

/** The geometry the filter gradient reads: 22 int32 in this order (native/wasm/filter_gradient.c's Geometry). */
export interface KernelGeometry {
  N: number; D: number; H: number; W: number; Ci: number;
  OD: number; OH: number; OW: number; Co: number;
  FD: number; FH: number; FW: number;
  pd: number; ph: number; pw: number;
  sd: number; sh: number; sw: number;
  dd: number; dh: number; dw: number;
}

export const GEOMETRY_INTS = 22;
/** Floats of dy per chunk of output rows: 64 KB, so that every tile of a range reads it from cache. */
const DY_CHUNK_FLOATS = 16 * 1024;

/** Whether the filter gradient takes this geometry: output channels a multiple of 4, x and dy neither empty nor beyond 2³⁰ floats. */
export function filterGradientTakes(g: KernelGeometry): boolean {
  const xFloats = g.N * g.D * g.H * g.W * g.Ci;
  const dyFloats = g.N * g.OD * g.OH * g.OW * g.Co;
  return g.Co % 4 === 0 && xFloats > 0 && dyFloats > 0 && Math.max(xFloats, dyFloats) < 2 ** 30;
}

/** The 22 int32 the filter gradient reads, rows per chunk last. */
export function geometryInts(g: KernelGeometry): Int32Array {
  const rowsPerChunk = Math.max(1, Math.floor(DY_CHUNK_FLOATS / Math.max(1, g.OW * g.Co)));
  const order = [g.N, g.D, g.H, g.W, g.Ci, g.OD, g.OH, g.OW, g.Co, g.FD, g.FH, g.FW, g.pd, g.ph, g.pw, g.sd, g.sh, g.sw, g.dd, g.dh, g.dw, rowsPerChunk];
  return Int32Array.from(order);
}

/** Byte offsets on the heap of the geometry (written by the caller), x, dy and dW. */
export interface FilterGradientPointers {
  geometry: number;
  x: number;
  dy: number;
  dW: number;
}

/** Zeroes dW (`dWFloats` floats) and adds the filter gradient into it. */
export function runFilterGradient(inst: WasmKernelInstance, memory: WebAssembly.Memory, p: FilterGradientPointers, dWFloats: number): void {
  new Float32Array(memory.buffer, p.dW, dWFloats).fill(0);
  runSplit(inst, memory, 'filter_gradient', [p.geometry, p.x, p.dy, p.dW], inst.tileCount(p.geometry), 1, 1);
}

// ---- ReLU gradient ----

/** out = dy · step(y) over `n` floats at the byte offsets given (16-byte-aligned ranges between threads). */
export function runReluGrad(inst: WasmKernelInstance, memory: WebAssembly.Memory, p: { dy: number; y: number; out: number }, n: number): void {
  runSplit(inst, memory, 'relu_grad', [p.dy, p.y, p.out], n, 4, wasmKernelTuning.reluGradMinPerThread);
}

// ---- max pooling ----

/** A max pool's geometry, 2D as depth 1: native/wasm/max_pool.c's PoolGeometry. */
export interface PoolKernelGeometry {
  N: number; C: number; D: number; H: number; W: number;
  OD: number; OH: number; OW: number;
  FD: number; FH: number; FW: number;
  sd: number; sh: number; sw: number;
  dd: number; dh: number; dw: number;
  pd: number; ph: number; pw: number;
}

/** The 20 int32 the pool kernels read, in PoolGeometry's order. */
export function poolGeometryInts(g: PoolKernelGeometry): Int32Array {
  return Int32Array.from([g.N, g.C, g.D, g.H, g.W, g.OD, g.OH, g.OW, g.FD, g.FH, g.FW, g.sd, g.sh, g.sw, g.dd, g.dh, g.dw, g.pd, g.ph, g.pw]);
}

/** Whether the pool kernels take this geometry: x and y neither empty nor beyond 2³⁰ floats. */
export function poolTakes(g: PoolKernelGeometry): boolean {
  const x = g.N * g.D * g.H * g.W * g.C;
  const y = g.N * g.OD * g.OH * g.OW * g.C;
  return x > 0 && y > 0 && Math.max(x, y) < 2 ** 30;
}

const imagesPerThread = (g: PoolKernelGeometry): number => Math.max(1, Math.ceil(wasmKernelTuning.poolMinVisitsPerThread / (g.OD * g.OH * g.OW * g.C * g.FD * g.FH * g.FW)));

/** y = max pool of x, images split between threads. The geometry (poolGeometryInts) must already be at p.geometry. */
export function runMaxPool(inst: WasmKernelInstance, memory: WebAssembly.Memory, p: { geometry: number; x: number; y: number }, g: PoolKernelGeometry): void {
  runSplit(inst, memory, 'max_pool', [p.geometry, p.x, p.y], g.N, 1, imagesPerThread(g));
}

/** Zeroes dx (the input's size) and adds each output's dy into its window's first maximum. */
export function runMaxPoolGrad(inst: WasmKernelInstance, memory: WebAssembly.Memory, p: { geometry: number; x: number; dy: number; dx: number }, g: PoolKernelGeometry): void {
  new Float32Array(memory.buffer, p.dx, g.N * g.D * g.H * g.W * g.C).fill(0);
  runSplit(inst, memory, 'max_pool_grad', [p.geometry, p.x, p.dy, p.dx], g.N, 1, imagesPerThread(g));
}
