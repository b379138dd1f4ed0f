import * as tf from '@tensorflow/tfjs';
import type { NativeMemoryKernels } from './nativeAddon.js';
import { floatValues, sizeOf, type CpuBackend } from './cpuBackend.js';
import { callOriginal, replaceKernel, type KernelArgs } from './kernelRegistry.js';
import { heapFloats, kernelsOn, runOnHeap, type HeapKernels, type WasmBackend } from './wasmConv.js';
import { poolGeometryInts, poolTakes, runMaxPool, runMaxPoolGrad, type PoolKernelGeometry } from './wasmSimdKernels.js';
import { uninitialisedFloat32, zeroedFloat32 } from './outputArrays.js';


/** Max-pooling geometry in NDHWC with 2D pools as depth 1. */
interface PoolGeometry {
  batch: number;
  channels: number;
  inSize: [number, number, number];
  outSize: [number, number, number];
  filter: [number, number, number];
  strides: [number, number, number];
  dilations: [number, number, number];
  pad: [number, number, number];
}

function pool2d(xShape: number[], attrs: tf.NamedAttrMap): PoolGeometry {
  const info = tf.backend_util.computePool2DInfo(
    xShape as [number, number, number, number],
    attrs.filterSize as [number, number],
    attrs.strides as [number, number],
    1,
    attrs.pad as 'same',
    attrs.dimRoundingMode as 'floor' | undefined,
  );
  return {
    batch: info.batchSize,
    channels: info.inChannels,
    inSize: [1, info.inHeight, info.inWidth],
    outSize: [1, info.outHeight, info.outWidth],
    filter: [1, info.filterHeight, info.filterWidth],
    strides: [1, info.strideHeight, info.strideWidth],
    dilations: [1, info.dilationHeight, info.dilationWidth],
    pad: [0, info.padInfo.top, info.padInfo.left],
  };
}

function pool3d(xShape: number[], attrs: tf.NamedAttrMap): PoolGeometry {
  const info = tf.backend_util.computePool3DInfo(
    xShape as [number, number, number, number, number],
    attrs.filterSize as [number, number, number],
    attrs.strides as [number, number, number],
    1,
    attrs.pad as 'same',
    attrs.dimRoundingMode as 'floor' | undefined,
  );
  return {
    batch: info.batchSize,
    channels: info.inChannels,
    inSize: [info.inDepth, info.inHeight, info.inWidth],
    outSize: [info.outDepth, info.outHeight, info.outWidth],
    filter: [info.filterDepth, info.filterHeight, info.filterWidth],
    strides: [info.strideDepth, info.strideHeight, info.strideWidth],
    dilations: [info.dilationDepth, info.dilationHeight, info.dilationWidth],
    pad: [info.padInfo.front, info.padInfo.top, info.padInfo.left],
  };
}

/**
 * Visits every output position of a max pool; `visit(o, best, arg)` gets the output offset of the first
 * channel, the per-channel maxima and the input offsets of the first maximum (TF.js's tie rule: the first
 * strictly greater value in window order; -1 where no value beats -Infinity).
 */
function maxPoolScan(x: Float32Array, g: PoolGeometry, visit: (o: number, best: Float32Array, arg: Int32Array) => void): void {
  const C = g.channels;
  const [D, H, W] = g.inSize;
  const [OD, OH, OW] = g.outSize;
  const best = new Float32Array(C);
  const arg = new Int32Array(C);
  let o = 0;
  for (let b = 0; b < g.batch; b++) {
    for (let od = 0; od < OD; od++) {
      const d0 = od * g.strides[0] - g.pad[0];
      for (let oh = 0; oh < OH; oh++) {
        const h0 = oh * g.strides[1] - g.pad[1];
        for (let ow = 0; ow < OW; ow++, o += C) {
          const w0 = ow * g.strides[2] - g.pad[2];
          best.fill(-Infinity);
          arg.fill(-1);
          for (let fd = 0; fd < g.filter[0]; fd++) {
            const d = d0 + fd * g.dilations[0];
            if (d < 0 || d >= D) continue;
            for (let fh = 0; fh < g.filter[1]; fh++) {
              const h = h0 + fh * g.dilations[1];
              if (h < 0 || h >= H) continue;
              for (let fw = 0; fw < g.filter[2]; fw++) {
                const w = w0 + fw * g.dilations[2];
                if (w < 0 || w >= W) continue;
                const base = (((b * D + d) * H + h) * W + w) * C;
                for (let c = 0; c < C; c++) {
                  const v = x[base + c]!;
                  if (v > best[c]!) {
                    best[c] = v;
                    arg[c] = base + c;
                  }
                }
              }
            }
          }
          visit(o, best, arg);
        }
      }
    }
  }
}

const flat = (g: PoolGeometry): number[] => [g.batch, g.channels, ...g.inSize, ...g.outSize, ...g.filter, ...g.strides, ...g.dilations, ...g.pad];

function maxPoolForward(name: string, geometry: (s: number[], a: tf.NamedAttrMap) => PoolGeometry, native: NativeMemoryKernels | undefined): void {
  replaceKernel(name, 'cpu', 'js', (original) => (args: KernelArgs) => {
    const backend = args.backend as CpuBackend;
    const x = args.inputs.x;
    const attrs = args.attrs ?? {};
    const xv = x && floatValues(backend, x);
    if (!x || !xv || (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NDHWC' && attrs.dataFormat !== 'NHWC')) {
      return callOriginal(name, original, args);
    }
    const g = geometry(x.shape, attrs);
    const shape = x.shape.length === 4 ? [g.batch, g.outSize[1], g.outSize[2], g.channels] : [g.batch, ...g.outSize, g.channels];
    const out = uninitialisedFloat32(sizeOf(shape));
    if (native !== undefined) native.maxPool(0, xv, flat(g), out);
    else maxPoolScan(xv, g, (o, best) => out.set(best, o));
    return backend.makeTensorInfo(shape, 'float32', out);
  });
}

function maxPoolGrad(name: string, geometry: (s: number[], a: tf.NamedAttrMap) => PoolGeometry, native: NativeMemoryKernels | undefined): void {
  replaceKernel(name, 'cpu', 'js', (original) => (args: KernelArgs) => {
    const backend = args.backend as CpuBackend;
    const { dy, input } = args.inputs;
    const dyv = dy && floatValues(backend, dy);
    const xv = input && floatValues(backend, input);
    if (!dy || !input || !dyv || !xv) return callOriginal(name, original, args);
    const g = geometry(input.shape, args.attrs ?? {});
    const dx = zeroedFloat32(xv.length);
    if (native !== undefined && dyv.length === g.batch * g.outSize[0] * g.outSize[1] * g.outSize[2] * g.channels) {
      native.maxPool(1, xv, flat(g), dyv, dx);
      return backend.makeTensorInfo(input.shape.slice(), 'float32', dx);
    }
    const C = g.channels;
    maxPoolScan(xv, g, (o, _best, arg) => {
      for (let c = 0; c < C; c++) {
        const i = arg[c]!;
        if (i >= 0) dx[i] = dx[i]! + dyv[o + c]!;
      }
    });
    return backend.makeTensorInfo(input.shape.slice(), 'float32', dx);
  });
}

/**
 * Registers MaxPool, MaxPoolGrad, MaxPool3D and MaxPool3DGrad for float32 channels-last on `cpu`;
 * with the addon's loops (`native`) the same scan runs in C++.
 */
export function registerPooling(native?: NativeMemoryKernels): void {
  maxPoolForward('MaxPool', pool2d, native);
  maxPoolForward('MaxPool3D', pool3d, native);
  maxPoolGrad('MaxPoolGrad', pool2d, native);
  maxPoolGrad('MaxPool3DGrad', pool3d, native);
}

/** Switches gendice's wasm pooling kernels (wasmSimdKernels.ts) off, for tests: the heap scan in JS runs instead. */
export const wasmPoolingTuning = { kernels: true };

const kernelGeometry = (g: PoolGeometry): PoolKernelGeometry => ({
  N: g.batch, C: g.channels, D: g.inSize[0], H: g.inSize[1], W: g.inSize[2], OD: g.outSize[0], OH: g.outSize[1], OW: g.outSize[2],
  FD: g.filter[0], FH: g.filter[1], FW: g.filter[2], sd: g.strides[0], sh: g.strides[1], sw: g.strides[2],
  dd: g.dilations[0], dh: g.dilations[1], dw: g.dilations[2], pd: g.pad[0], ph: g.pad[1], pw: g.pad[2],
});

/**
 * gendice's wasm pooling kernels on the backend's heap, with the pool's kernel geometry; undefined where they
 * do not take the geometry or cannot run on this heap (the heap scan runs then).
 */
function poolKernels(backend: WasmBackend, g: PoolGeometry): { k: HeapKernels; kg: PoolKernelGeometry } | undefined {
  const kg = kernelGeometry(g);
  const k = wasmPoolingTuning.kernels && poolTakes(kg) ? kernelsOn(backend) : undefined;
  return k === undefined ? undefined : { k, kg };
}

/**
 * Registers MaxPool3D, MaxPool3DGrad and MaxPoolGrad for float32 channels-last on `wasm`: gendice's wasm
 * SIMD kernels where they run, else the cpu scan on the heap (the same bits).
 * TF.js 4.22's wasm kernels start each window's maximum at FLT_MIN (1.18e-38) instead of -Infinity, so a
 * window of negative values pools to 1.18e-38 and its gradient goes to the window's first voxel (measured:
 * maxPool3d of [-3, -2, -1, -4, -5, -6, -7, -8] in one 2³ window gives 1.18e-38 and sends the gradient to
 * -3; cpu gives -1 and sends it to -1). Also MaxPoolGrad (2D): wasm's kernel sends the gradient of a
 * window of negative values elsewhere than to its maximum too (test/engine/wasmKernels.test.ts fails on it
 * in 3 of 4 cases without ties), and is slow: 103 ms against the scan's 42 ms on [8, 128², 16] (2×2,
 * stride 2; one run each). The 2D forward (XNNPACK's) is right and stays.
 */
export function registerWasmPooling(): void {
  replaceKernel('MaxPool3D', 'wasm', 'wasm-composed', (original) => (args: KernelArgs) => {
    const backend = args.backend as WasmBackend;
    const x = args.inputs.x;
    const attrs = args.attrs ?? {};
    if (!x || x.dtype !== 'float32' || (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NDHWC')) return callOriginal('MaxPool3D', original, args);
    const g = pool3d(x.shape, attrs);
    const out = backend.makeOutput([g.batch, ...g.outSize, g.channels], 'float32');
    const pool = poolKernels(backend, g);
    if (pool !== undefined) {
      const { k, kg } = pool;
      return runOnHeap(backend, k, out, poolGeometryInts(kg), (geometry) => runMaxPool(k.inst, k.memory, { geometry, x: k.at(x), y: k.at(out) }, kg));
    }
    // Views taken after makeOutput, which may grow (and so move) the heap.
    const y = heapFloats(backend, out);
    maxPoolScan(heapFloats(backend, x), g, (o, best) => y.set(best, o));
    return out;
  });
  for (const [name, geometry] of [['MaxPool3DGrad', pool3d], ['MaxPoolGrad', pool2d]] as const)
    replaceKernel(name, 'wasm', 'wasm-composed', (original) => (args: KernelArgs) => {
      const backend = args.backend as WasmBackend;
      const { dy, input } = args.inputs;
      if (!dy || !input || dy.dtype !== 'float32' || input.dtype !== 'float32') return callOriginal(name, original, args);
      const g = geometry(input.shape, args.attrs ?? {});
      const out = backend.makeOutput(input.shape.slice(), 'float32');
      const pool = poolKernels(backend, g);
      if (pool !== undefined) {
        const { k, kg } = pool;
        return runOnHeap(backend, k, out, poolGeometryInts(kg), (geometry) => runMaxPoolGrad(k.inst, k.memory, { geometry, x: k.at(input), dy: k.at(dy), dx: k.at(out) }, kg));
      }
      const dx = heapFloats(backend, out);
      dx.fill(0);
      const dyv = heapFloats(backend, dy);
      const C = g.channels;
      maxPoolScan(heapFloats(backend, input), g, (o, _best, arg) => {
        for (let c = 0; c < C; c++) {
          const i = arg[c]!;
          if (i >= 0) dx[i] = dx[i]! + dyv[o + c]!;
        }
      });
      return out;
    });
}
