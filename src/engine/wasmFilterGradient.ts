import { filterGradientPlain, filterGradientShared } from './wasmKernelBinaries.js';

/**
 * gendice's own wasm SIMD filter gradient (native/wasm/filter_gradient.c, built by scripts/build-wasm.mjs
 * into wasmKernelBinaries.ts), run on TF.js's wasm heap itself: the module imports the backend's memory,
 * so it reads x and dy and writes dW where TF.js keeps them, with no copy. Universal: it needs only
 * WebAssembly. On more than one thread it runs through helpers that a platform installs
 * (setWasmKernelHelpers; Node's are in node/wasmKernelThreads.ts): each thread its own instance over the
 * same shared memory, each a contiguous range of the kernel's tiles. A tile (one filter tap × 2 input
 * channels × 16 output channels) is always computed whole by one thread, its sums over the output
 * positions in one fixed order, so the values do not depend on the thread count or on the helpers.
 *
 * Edge-case policy: the kernel takes float32 channels-last convolutions whose output channels are a
 * multiple of 4 (kernelTakes); the caller keeps its composed paths for the rest. It never throws for a
 * geometry it takes; when the module cannot be instantiated on the backend's memory (an engine without
 * SIMD, a memory it cannot import), filterGradientInstance answers undefined once and the composed paths
 * run from then on.
 */

/** The geometry the kernel reads: 22 int32 in this order (native/wasm/filter_gradient.c's Geometry). */
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

export interface FilterGradientInstance {
  tileCount(geometryPtr: number): number;
  run(geometryPtr: number, x: number, dy: number, dW: number, t0: number, t1: number): void;
}

interface Exports {
  tile_count(g: number): number;
  filter_gradient(g: number, x: number, dy: number, dW: number, t0: number, t1: number): void;
}

function decode(base64: string): Uint8Array {
  const s = atob(base64);
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return bytes;
}

let modules: { shared?: WebAssembly.Module; plain?: WebAssembly.Module } = {};

/** The compiled module for a memory: the shared variant for a SharedArrayBuffer heap. Throws when it cannot compile. */
export function filterGradientModule(shared: boolean): WebAssembly.Module {
  const key = shared ? 'shared' : 'plain';
  const cached = modules[key];
  if (cached !== undefined) return cached;
  const compiled = new WebAssembly.Module(decode(shared ? filterGradientShared : filterGradientPlain) as BufferSource);
  modules = { ...modules, [key]: compiled };
  return compiled;
}

export const isShared = (memory: WebAssembly.Memory): boolean => typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;

/** An instance of the kernel over `memory` (unchecked: callers cache the result). */
export function instantiateFilterGradient(memory: WebAssembly.Memory): FilterGradientInstance {
  const instance = new WebAssembly.Instance(filterGradientModule(isShared(memory)), { env: { memory } });
  const e = instance.exports as unknown as Exports;
  return { tileCount: (g) => e.tile_count(g), run: (g, x, dy, dW, t0, t1) => e.filter_gradient(g, x, dy, dW, t0, t1) };
}

const instances = new WeakMap<WebAssembly.Memory, FilterGradientInstance | null>();

/** The main thread's instance over `memory`, made once; undefined (for good) when it cannot be made. */
export function filterGradientInstance(memory: WebAssembly.Memory): FilterGradientInstance | undefined {
  let inst = instances.get(memory);
  if (inst === undefined) {
    try {
      inst = instantiateFilterGradient(memory);
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

/** Whether the kernel computes this geometry: output channels a multiple of 4, x and dy neither empty nor beyond 2³⁰ floats. */
export function kernelTakes(g: KernelGeometry): boolean {
  const xFloats = g.N * g.D * g.H * g.W * g.Ci;
  const dyFloats = g.N * g.OD * g.OH * g.OW * g.Co;
  return g.Co % 4 === 0 && xFloats > 0 && dyFloats > 0 && Math.max(xFloats, dyFloats) < 2 ** 30;
}

/** The 22 int32 the kernel reads, rows per chunk last. */
export function geometryInts(g: KernelGeometry): Int32Array {
  const rowsPerChunk = Math.max(1, Math.floor(DY_CHUNK_FLOATS / Math.max(1, g.OW * g.Co)));
  const order = [g.N, g.D, g.H, g.W, g.Ci, g.OD, g.OH, g.OW, g.Co, g.FD, g.FH, g.FW, g.pd, g.ph, g.pw, g.sd, g.sh, g.sw, g.dd, g.dh, g.dw, rowsPerChunk];
  return Int32Array.from(order);
}

/** Byte offsets on the heap of the geometry, x, dy and dW (dW zeroed by runFilterGradient). */
export interface KernelPointers {
  geometry: number;
  x: number;
  dy: number;
  dW: number;
}

/**
 * Other threads for the kernel: `run` hands `ranges[1..]` to `threads - 1` other threads over `memory`,
 * computes `ranges[0]` (and the range of any thread not ready) with `compute` on the calling thread, and
 * returns when all are done.
 */
export interface WasmKernelHelpers {
  memory: WebAssembly.Memory;
  threads: number;
  run(pointers: KernelPointers, ranges: Array<[number, number]>, compute: (t0: number, t1: number) => void): void;
}

let helpers: WasmKernelHelpers | undefined;

/** Installs (or with undefined removes) the helper threads; the kernel runs on the calling thread alone without them. */
export function setWasmKernelHelpers(h: WasmKernelHelpers | undefined): void {
  helpers = h;
}

export function wasmKernelHelpers(): WasmKernelHelpers | undefined {
  return helpers;
}

/** [t0, t1) ranges of `tiles` for `parts` threads, contiguous and as even as whole tiles allow. */
export function tileRanges(tiles: number, parts: number): Array<[number, number]> {
  const n = Math.max(1, Math.min(parts, tiles));
  return Array.from({ length: n }, (_, i) => [Math.floor((i * tiles) / n), Math.floor(((i + 1) * tiles) / n)] as [number, number]);
}

/**
 * Zeroes dW (`dWFloats` floats at p.dW) and adds the gradient into it, on the helpers' threads too when
 * they serve this memory. The geometry must already be written at p.geometry.
 */
export function runFilterGradient(inst: FilterGradientInstance, memory: WebAssembly.Memory, p: KernelPointers, dWFloats: number): void {
  new Float32Array(memory.buffer, p.dW, dWFloats).fill(0);
  const tiles = inst.tileCount(p.geometry);
  const h = helpers !== undefined && helpers.memory === memory && helpers.threads > 1 ? helpers : undefined;
  const ranges = tileRanges(tiles, h?.threads ?? 1);
  const compute = (t0: number, t1: number): void => inst.run(p.geometry, p.x, p.dy, p.dW, t0, t1);
  if (h === undefined || ranges.length === 1) compute(0, tiles);
  else h.run(p, ranges, compute);
}
