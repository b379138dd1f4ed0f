import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { resetEngine, selectEngine } from '../../src/engine/node/index.js';
import { wasmPoolingTuning } from '../../src/engine/jsPooling.js';
import { wasmConvTuning } from '../../src/engine/wasmConv.js';
import {
  filterGradientTakes,
  GEOMETRY_INTS,
  geometryInts,
  instantiateWasmKernels,
  itemRanges,
  runFilterGradient,
  runReluGrad,
  setWasmKernelHelpers,
  wasmHeapMemory,
  wasmKernelTuning,
  wasmKernelHelpers,
  type KernelGeometry,
} from '../../src/engine/wasmSimdKernels.js';
import { maxRelError, onEngine, randn, tensor } from './_helpers.js';

// gendice's wasm SIMD kernels (native/wasm/*.c). The filter gradient on a memory of its own against a
// float64 reference, split into tile ranges in any way with the same bits (which is what makes it
// thread-count independent), then inside the wasm engine against stock cpu and the composed paths; the
// ReLU gradient bit for bit against TF.js's Step and Multiply, special values included.
afterAll(() => resetEngine());

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

interface Case {
  x: number[]; // [N, D, H, W, Ci]
  Co: number;
  f: number[]; // [FD, FH, FW]
  s?: number[];
  d?: number[];
  p?: number[]; // left padding [pd, ph, pw]; the output size follows from symmetric padding
}

function geometryOf(c: Case): KernelGeometry {
  const [N, D, H, W, Ci] = c.x as [number, number, number, number, number];
  const [FD, FH, FW] = c.f as [number, number, number];
  const [sd, sh, sw] = (c.s ?? [1, 1, 1]) as [number, number, number];
  const [dd, dh, dw] = (c.d ?? [1, 1, 1]) as [number, number, number];
  const [pd, ph, pw] = (c.p ?? [0, 0, 0]) as [number, number, number];
  const out = (i: number, f: number, s: number, d: number, p: number) => Math.floor((i + 2 * p - ((f - 1) * d + 1)) / s) + 1;
  return { N, D, H, W, Ci, Co: c.Co, FD, FH, FW, sd, sh, sw, dd, dh, dw, pd, ph, pw, OD: out(D, FD, sd, dd, pd), OH: out(H, FH, sh, dh, ph), OW: out(W, FW, sw, dw, pw) };
}

/** The gradient in float64, and the sum of |x·dy| per weight (the scale of its rounding). */
function reference(g: KernelGeometry, x: Float32Array, dy: Float32Array): { value: Float64Array; scale: Float64Array } {
  const value = new Float64Array(g.FD * g.FH * g.FW * g.Ci * g.Co);
  const scale = new Float64Array(value.length);
  for (let fd = 0; fd < g.FD; fd++)
    for (let fh = 0; fh < g.FH; fh++)
      for (let fw = 0; fw < g.FW; fw++)
        for (let n = 0; n < g.N; n++)
          for (let od = 0; od < g.OD; od++)
            for (let oh = 0; oh < g.OH; oh++)
              for (let ow = 0; ow < g.OW; ow++) {
                const id = od * g.sd - g.pd + fd * g.dd, ih = oh * g.sh - g.ph + fh * g.dh, iw = ow * g.sw - g.pw + fw * g.dw;
                if (id < 0 || id >= g.D || ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
                const xo = (((n * g.D + id) * g.H + ih) * g.W + iw) * g.Ci;
                const yo = (((n * g.OD + od) * g.OH + oh) * g.OW + ow) * g.Co;
                const wo = ((fd * g.FH + fh) * g.FW + fw) * g.Ci * g.Co;
                for (let ci = 0; ci < g.Ci; ci++)
                  for (let co = 0; co < g.Co; co++) {
                    const v = x[xo + ci]! * dy[yo + co]!;
                    value[wo + ci * g.Co + co]! += v;
                    scale[wo + ci * g.Co + co]! += Math.abs(v);
                  }
              }
  return { value, scale };
}

/** A memory with the geometry, x and dy written (16-byte aligned, dW after them) and an instance over it. */
function setUp(g: KernelGeometry, shared: boolean, rowsPerChunk?: number) {
  const x = randn([g.N * g.D * g.H * g.W * g.Ci], 11).values;
  const dy = randn([g.N * g.OD * g.OH * g.OW * g.Co], 12).values;
  const wFloats = g.FD * g.FH * g.FW * g.Ci * g.Co;
  const align = (b: number) => Math.ceil(b / 16) * 16;
  const p = { geometry: 64, x: 256, dy: 0, dW: 0 };
  p.dy = align(p.x + 4 * x.length) + 4; // deliberately not 16-byte aligned
  p.dW = align(p.dy + 4 * dy.length) + 8;
  const pages = Math.ceil((p.dW + 4 * wFloats + 64) / 65536) + 1;
  const memory = new WebAssembly.Memory({ initial: pages, maximum: 65536, ...(shared ? { shared: true } : {}) });
  const ints = geometryInts(g);
  if (rowsPerChunk !== undefined) ints[GEOMETRY_INTS - 1] = rowsPerChunk;
  new Int32Array(memory.buffer, p.geometry, GEOMETRY_INTS).set(ints);
  new Float32Array(memory.buffer, p.x, x.length).set(x);
  new Float32Array(memory.buffer, p.dy, dy.length).set(dy);
  const inst = instantiateWasmKernels(memory);
  const read = () => new Float32Array(memory.buffer, p.dW, wFloats).slice();
  return { x, dy, memory, p, inst, wFloats, read };
}

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
/** bits, with every NaN as 'NaN' (so +0 and -0 apart, NaN payloads alike) */
const canon = (a: Float32Array) => bits(a).map((b, i) => (Number.isNaN(a[i]) ? 'NaN' : b));

const cases: Case[] = [
  { x: [1, 1, 8, 8, 3], Co: 16, f: [1, 3, 3], p: [0, 1, 1] }, // odd Ci: a last tile of one input channel
  { x: [2, 1, 9, 7, 5], Co: 20, f: [1, 3, 3], s: [1, 2, 2], p: [0, 1, 1] }, // Co % 16 = 4
  { x: [1, 5, 6, 7, 2], Co: 8, f: [3, 3, 3], s: [1, 1, 2], d: [2, 1, 1], p: [2, 1, 0] }, // Co % 16 = 8, 3D, dilated
  { x: [2, 4, 5, 6, 1], Co: 12, f: [2, 2, 2], s: [2, 2, 2], d: [1, 2, 1], p: [0, 0, 1] }, // Co % 16 = 12
  { x: [1, 1, 10, 10, 7], Co: 36, f: [1, 5, 3], s: [1, 3, 1], d: [1, 1, 3], p: [0, 2, 4] }, // padding beyond the filter
  { x: [3, 1, 6, 5, 4], Co: 32, f: [1, 1, 1] }, // 1×1
  { x: [1, 3, 4, 4, 6], Co: 4, f: [3, 3, 3], p: [1, 1, 1] },
  { x: [2, 4, 4, 4, 3], Co: 16, f: [2, 2, 2], s: [2, 2, 2] }, // windows that tile the input
];

describe('gendice wasm filter gradient kernel', () => {
  it.each(cases.flatMap((c) => [{ ...c, shared: true }, { ...c, shared: false }]))('x $x Co $Co filter $f strides $s dilations $d padding $p (shared $shared) matches float64', (c) => {
    const g = geometryOf(c);
    expect(filterGradientTakes(g)).toBe(true);
    const { x, dy, inst, p, memory, wFloats, read } = setUp(g, c.shared);
    runFilterGradient(inst, memory, p, wFloats);
    const got = read();
    const ref = reference(g, x, dy);
    for (let i = 0; i < wFloats; i++) expect(Math.abs(got[i]! - ref.value[i]!)).toBeLessThanOrEqual(1e-6 * ref.scale[i]! + 1e-30);
  });

  it('gives the same bits for any chunking of the output rows and any split of its tiles (so any thread count)', () => {
    for (const c of cases) {
      const g = geometryOf(c);
      const whole = setUp(g, true);
      runFilterGradient(whole.inst, whole.memory, whole.p, whole.wFloats);
      const expected = bits(whole.read());
      for (const rows of [1, 2, 7]) {
        const s = setUp(g, false, rows);
        const tiles = s.inst.tileCount(s.p.geometry);
        for (const parts of [1, 2, 3, 5]) {
          new Float32Array(s.memory.buffer, s.p.dW, s.wFloats).fill(0);
          // the ranges in reverse order, as threads may finish in any order
          for (const [t0, t1] of itemRanges(tiles, parts).reverse()) s.inst.run('filter_gradient', [s.p.geometry, s.p.x, s.p.dy, s.p.dW], t0, t1);
          expect(bits(s.read()), `${JSON.stringify(c)} rows ${rows} parts ${parts}`).toEqual(expected);
        }
      }
    }
  });

  it('takes only output channels in fours, and zeroes dW before it adds', () => {
    const g = geometryOf(cases[0]!);
    expect(filterGradientTakes({ ...g, Co: 6 })).toBe(false);
    expect(filterGradientTakes({ ...g, Co: 0 })).toBe(false);
    expect(filterGradientTakes({ ...g, N: 0 })).toBe(false);
    const s = setUp(g, true);
    new Float32Array(s.memory.buffer, s.p.dW, s.wFloats).fill(Number.NaN);
    runFilterGradient(s.inst, s.memory, s.p, s.wFloats);
    expect(s.read().every(Number.isFinite)).toBe(true);
  });

  it('splits items into contiguous, even ranges of whole quanta that cover them once', () => {
    expect(itemRanges(10, 3)).toEqual([[0, 3], [3, 6], [6, 10]]);
    expect(itemRanges(2, 4)).toEqual([[0, 1], [1, 2]]);
    expect(itemRanges(0, 2)).toEqual([[0, 0]]);
    expect(itemRanges(22, 2, 4)).toEqual([[0, 12], [12, 22]]);
    expect(itemRanges(3, 2, 4)).toEqual([[0, 3]]);
  });

  it('runs its ranges through installed helpers, which see every range but the first', () => {
    const g = geometryOf(cases[1]!);
    const s = setUp(g, true);
    runFilterGradient(s.inst, s.memory, s.p, s.wFloats);
    const alone = bits(s.read());
    const seen: Array<[number, number]>[] = [];
    const previous = wasmKernelHelpers();
    setWasmKernelHelpers({
      memory: s.memory,
      threads: 3,
      run: (kernel, _args, ranges, compute) => {
        expect(kernel).toBe('filter_gradient');
        seen.push(ranges);
        for (const [t0, t1] of [...ranges].reverse()) compute(t0, t1);
      },
    });
    try {
      runFilterGradient(s.inst, s.memory, s.p, s.wFloats);
      expect(bits(s.read())).toEqual(alone);
      expect(seen).toEqual([itemRanges(s.inst.tileCount(s.p.geometry), 3)]);
      // helpers over another memory are not used for this one
      const other = setUp(g, true);
      runFilterGradient(other.inst, other.memory, other.p, other.wFloats);
      expect(seen.length).toBe(1);
      expect(bits(other.read())).toEqual(alone);
    } finally {
      setWasmKernelHelpers(previous);
    }
  });
});

describe('the wasm engine computes filter gradients by the kernel', () => {
  const saved = { ...wasmConvTuning };
  afterEach(() => {
    Object.assign(wasmConvTuning, saved);
  });
  const conv2d = (x: number[], f: number[], strides: number, pad: 'same' | 'valid', dilations = 1) => () =>
    tf.engine().runKernel('Conv2DBackpropFilter', { x: tensor(randn(x, 31)), dy: tensor(randn(tf.conv2d(tf.zeros<tf.Rank>(x) as tf.Tensor4D, tf.zeros<tf.Rank>(f) as tf.Tensor4D, strides, pad, 'NHWC', dilations).shape as number[], 32)) }, { filterShape: f, strides, pad, dilations, dataFormat: 'NHWC' }) as tf.Tensor;
  const conv3d = (x: number[], f: number[], strides: number, pad: 'same' | 'valid') => () =>
    tf.engine().runKernel('Conv3DBackpropFilterV2', { x: tensor(randn(x, 33)), dy: tensor(randn(tf.conv3d(tf.zeros<tf.Rank>(x) as tf.Tensor5D, tf.zeros<tf.Rank>(f) as tf.Tensor5D, strides, pad).shape as number[], 34)) }, { filterShape: f, strides, pad }) as tf.Tensor;
  it.each([
    { name: '2D 3×3 same', fn: conv2d([2, 12, 10, 5], [3, 3, 5, 16], 1, 'same') },
    { name: '2D strided valid, Co 12', fn: conv2d([1, 11, 9, 3], [3, 2, 3, 12], 2, 'valid') },
    { name: '2D dilated (stock cpu ignores dilations: against the composed paths only)', fn: conv2d([1, 13, 12, 2], [3, 3, 2, 8], 1, 'same', 2), dilated: true },
    { name: '3D 3×3×3 same', fn: conv3d([2, 6, 7, 5, 3], [3, 3, 3, 3, 20], 1, 'same') },
    { name: '3D 2×2×2 stride 2', fn: conv3d([1, 6, 6, 6, 4], [2, 2, 2, 4, 8], 2, 'valid') },
    { name: '3D Co 6 (composed paths)', fn: conv3d([1, 5, 5, 5, 2], [3, 3, 3, 2, 6], 1, 'same') },
  ])('$name: as stock cpu and the composed paths', async ({ fn, dilated }) => {
    const byKernel = await onEngine('wasm', fn);
    wasmConvTuning.filterGradKernel = false;
    const composed = await onEngine('wasm', fn);
    if (dilated !== true) expect(maxRelError(byKernel, await onEngine('cpu', fn))).toBeLessThan(1e-5);
    expect(maxRelError(byKernel, composed)).toBeLessThan(1e-5);
  });

  it('runs on the heap of the engine, with helper threads on the threaded build, and leaks no tensor', async () => {
    await selectEngine({ engine: 'wasm', quiet: true });
    const memory = wasmHeapMemory(tf.backend());
    expect(memory).toBeInstanceOf(WebAssembly.Memory);
    const helpers = wasmKernelHelpers();
    if (memory!.buffer instanceof SharedArrayBuffer) expect(helpers?.memory).toBe(memory);
    const fn = conv2d([2, 12, 10, 5], [3, 3, 5, 16], 1, 'same');
    let calls = 0;
    const previous = wasmKernelHelpers();
    setWasmKernelHelpers({ memory: memory!, threads: 2, run: (_kernel, _args, ranges, compute) => ((calls += 1), ranges.forEach(([a, b]) => compute(a, b))) });
    try {
      const before = tf.memory().numTensors;
      const backend = tf.backend() as unknown as { numDataIds(): number };
      const ids = backend.numDataIds();
      const r = tf.tidy(fn);
      r.dispose();
      expect(calls).toBe(1);
      expect(tf.memory().numTensors).toBe(before);
      expect(backend.numDataIds()).toBe(ids);
    } finally {
      setWasmKernelHelpers(previous);
    }
  });
});

describe('gendice wasm ReLU gradient kernel', () => {
  const saved = { ...wasmConvTuning };
  afterEach(() => {
    Object.assign(wasmConvTuning, saved);
  });
  // y is a ReLU's output: positive, zero (+0 and -0), NaN; dy takes every sign and special value.
  const special = [0, -0, 1.5, -2.25, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, 1e-40, -1e-40];
  function values(n: number, seed: number) {
    const dy = randn([n], seed).values;
    const y = randn([n], seed + 1).values.map((v) => Math.max(0, v));
    for (let i = 0; i < n; i += 7) dy[i] = special[(i / 7) % special.length]!;
    for (let i = 3; i < n; i += 11) y[i] = [0, -0, Number.NaN, 1e-40][(i / 11) % 4 | 0]!;
    return { dy, y };
  }
  it.each([1, 3, 4, 17, 1000, 200_003])('%i elements on the wasm engine: the bits of Step then Multiply', async (n) => {
    const { dy, y } = values(n, 71);
    const fn = () => tf.engine().runKernel('GendiceReluGrad', { dy: tf.tensor(dy, [n]), y: tf.tensor(y, [n]) }) as tf.Tensor;
    const byKernel = await onEngine('wasm', fn);
    wasmConvTuning.reluGradKernel = false;
    const composed = await onEngine('wasm', fn);
    expect(canon(byKernel[0]!)).toEqual(canon(composed[0]!));
    const stock = () => tf.mul(tf.tensor(dy, [n]), tf.step(tf.tensor(y, [n])));
    expect(canon(byKernel[0]!)).toEqual(canon((await onEngine('cpu', stock))[0]!));
  });
  it('splits into 16-byte ranges between threads and runs small ones on the caller alone', () => {
    const n = 300_001;
    const memory = new WebAssembly.Memory({ initial: Math.ceil((12 * n + 4096) / 65536), maximum: 65536, shared: true });
    const p = { dy: 1024, y: 1024 + 4 * n + 16, out: 1024 + 8 * n + 32 };
    const { dy, y } = values(n, 81);
    new Float32Array(memory.buffer, p.dy, n).set(dy);
    new Float32Array(memory.buffer, p.y, n).set(y);
    const inst = instantiateWasmKernels(memory);
    runReluGrad(inst, memory, p, n);
    const alone = canon(new Float32Array(memory.buffer, p.out, n).slice());
    const seen: Array<[number, number]>[] = [];
    const previous = wasmKernelHelpers();
    setWasmKernelHelpers({ memory, threads: 3, run: (kernel, _args, ranges, compute) => (expect(kernel).toBe('relu_grad'), seen.push(ranges), ranges.forEach(([a, b]) => compute(a, b))) });
    try {
      new Float32Array(memory.buffer, p.out, n).fill(0);
      runReluGrad(inst, memory, p, n);
      expect(canon(new Float32Array(memory.buffer, p.out, n).slice())).toEqual(alone);
      expect(seen.length).toBe(1);
      expect(seen[0]!.length).toBe(3);
      for (const [a] of seen[0]!) expect(a % 4).toBe(0);
      runReluGrad(inst, memory, p, 1000);
      expect(seen.length).toBe(1);
    } finally {
      setWasmKernelHelpers(previous);
    }
  });
});

describe('gendice wasm max-pool kernels', () => {
  afterEach(() => {
    wasmPoolingTuning.kernels = true;
    wasmKernelTuning.poolMinVisitsPerThread = 64 * 1024;
    setWasmKernelHelpers(previousHelpers);
  });
  const previousHelpers = wasmKernelHelpers();
  // negatives, ties (a value repeated at the next pixel), NaN and -Infinity, so that windows of only
  // NaN / -Infinity exist at the corners
  function pooled(shape: number[], seed: number) {
    const x = randn(shape, seed);
    const C = shape[shape.length - 1]!;
    for (let i = 0; i < x.values.length; i += 3) x.values[i] = -Math.abs(x.values[i]!);
    for (let i = 0; i + C < x.values.length; i += 5 * C + 1) x.values[i + C] = x.values[i]!;
    for (let i = 2; i < x.values.length; i += 13) x.values[i] = i % 2 === 0 ? Number.NaN : Number.NEGATIVE_INFINITY;
    for (let c = 0; c < C; c++) x.values[c] = Number.NaN;
    return x;
  }
  it.each([
    { shape: [2, 8, 8, 3], size: 2, strides: 2, pad: 'valid' as const },
    { shape: [3, 7, 9, 6], size: 3, strides: 2, pad: 'same' as const },
    { shape: [2, 7, 5, 9], size: 3, strides: 1, pad: 'valid' as const },
    { shape: [1, 6, 6, 4], size: 2, strides: 1, pad: 'same' as const },
    { shape: [1, 4, 4, 4, 4], size: 2, strides: 2, pad: 'same' as const },
    { shape: [2, 4, 6, 5, 5], size: 2, strides: 2, pad: 'valid' as const },
    { shape: [3, 5, 5, 6, 8], size: 3, strides: 2, pad: 'same' as const },
    { shape: [2, 4, 5, 4, 3], size: 3, strides: 1, pad: 'same' as const },
  ])('$shape pool $size stride $strides $pad: the bits of the heap scan, on one thread and split by images', async ({ shape, size, strides, pad }) => {
    const x = pooled(shape, 91);
    const rank5 = shape.length === 5;
    const f = (t: tf.Tensor) => (rank5 ? tf.maxPool3d(t as tf.Tensor5D, size, strides, pad) : tf.maxPool(t as tf.Tensor4D, size, strides, pad));
    const fn = () => {
      const xt = tensor(x);
      const y = f(xt);
      const dy = tensor(randn(y.shape, 92));
      return [y, tf.grad((t: tf.Tensor) => tf.sum(tf.mul(f(t), dy)))(xt)];
    };
    const byKernel = await onEngine('wasm', fn);
    let calls = 0;
    wasmKernelTuning.poolMinVisitsPerThread = 1; // every image worth a thread
    const memory = wasmHeapMemory(tf.backend())!;
    setWasmKernelHelpers({ memory, threads: 3, run: (_k, _a, ranges, compute) => ((calls += 1), [...ranges].reverse().forEach(([a, b]) => compute(a, b))) });
    const split = await onEngine('wasm', fn);
    setWasmKernelHelpers(previousHelpers);
    wasmPoolingTuning.kernels = false;
    const scan = await onEngine('wasm', fn);
    byKernel.forEach((r, i) => {
      expect(canon(r)).toEqual(canon(scan[i]!));
      expect(canon(split[i]!)).toEqual(canon(r));
    });
    // split by images: the gradient, and in 3D the two forward pools too (2D forward pools are XNNPACK's)
    expect(calls).toBe(shape[0]! < 2 ? 0 : rank5 ? 3 : 1);
  });
});

describe('the committed wasm kernels', () => {
  const clang = spawnSync('clang', ['--version']).status === 0 && spawnSync('wasm2wat', ['--version']).status === 0;
  it.skipIf(!clang)('are what native/wasm builds to (node scripts/build-wasm.mjs --check)', () => {
    const r = spawnSync(process.execPath, [join(root, 'scripts/build-wasm.mjs'), '--check'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });
});
