import * as tf from '@tensorflow/tfjs';
import type { NativeAddon } from './nativeAddon.js';
import { floatValues, type CpuBackend } from './cpuBackend.js';
import { replaceKernel, type KernelFunction } from './kernelRegistry.js';
import { heapFloats, type WasmBackend } from './wasmConv.js';
import { zeroedFloat32 } from './outputArrays.js';

/**
 * Fused max-out over channels (channels last), as kernels of their own: `GendiceMaxout` (input x, attr
 * `pieces`) and its input gradient `GendiceMaxoutGrad` (inputs dy, x). Output channel c is the maximum of
 * input channels c, c + C, …, c + (k − 1)·C (k = pieces, C = channels / k): the layout of
 * `src/networks/layers/maxout.ts`, which calls these kernels when the active backend has them and
 * otherwise composes split and maximum. The gradient goes to the piece the chain
 * max(max(x₀, x₁), x₂)… passes it to: a running maximum keeps its piece on ties (≥), and NaN passes it on,
 * exactly as that layer's composed gradient. One pass over memory each way, instead of SplitV, Maximum,
 * GreaterEqual, Cast, Multiply, Sub and Concat (a quarter of a TwoPathCNN step's kernel time: docs/engine.md).
 */
export const MAXOUT_KERNEL = 'GendiceMaxout';
export const MAXOUT_GRAD_KERNEL = 'GendiceMaxoutGrad';

function maxoutForward(x: Float32Array, y: Float32Array, channels: number, pieces: number): void {
  const row = channels * pieces;
  for (let r = 0, o = 0; r < x.length; r += row, o += channels) {
    for (let c = 0; c < channels; c++) {
      let m = x[r + c]!;
      for (let p = 1; p < pieces; p++) m = Math.max(m, x[r + p * channels + c]!);
      y[o + c] = m;
    }
  }
}

/** dx must be zero-filled. */
function maxoutBackward(dy: Float32Array, x: Float32Array, dx: Float32Array, channels: number, pieces: number): void {
  const row = channels * pieces;
  for (let r = 0, o = 0; r < x.length; r += row, o += channels) {
    for (let c = 0; c < channels; c++) {
      let m = x[r + c]!;
      let winner = 0;
      for (let p = 1; p < pieces; p++) {
        const v = x[r + p * channels + c]!;
        if (!(m >= v)) winner = p;
        m = Math.max(m, v);
      }
      dx[r + winner * channels + c] = dy[o + c]!;
    }
  }
}

function geometry(x: tf.TensorInfo, attrs: tf.NamedAttrMap | undefined): { pieces: number; channels: number; outShape: number[] } {
  const pieces = Number(attrs?.pieces);
  const last = x.shape[x.shape.length - 1] ?? 0;
  if (!Number.isInteger(pieces) || pieces < 1 || last % pieces !== 0) {
    throw new Error(`${MAXOUT_KERNEL}: ${last} channels are not a multiple of pieces = ${String(attrs?.pieces)}`);
  }
  return { pieces, channels: last / pieces, outShape: [...x.shape.slice(0, -1), last / pieces] };
}

function cpuValues(backend: CpuBackend, t: tf.TensorInfo): Float32Array {
  const v = floatValues(backend, t);
  if (v !== undefined) return v;
  return Float32Array.from(backend.data.get(t.dataId).values as ArrayLike<number>);
}

type Native = NativeAddon['maxout'];

function cpuKernels(native: Native): { forward: KernelFunction; backward: KernelFunction } {
  return {
    forward: (args) => {
      const backend = args.backend as CpuBackend;
      const x = args.inputs.x!;
      const g = geometry(x, args.attrs);
      const y = new Float32Array(tf.util.sizeFromShape(g.outShape));
      if (native !== undefined) native(0, cpuValues(backend, x), g.channels, g.pieces, y);
      else maxoutForward(cpuValues(backend, x), y, g.channels, g.pieces);
      return backend.makeTensorInfo(g.outShape, 'float32', y);
    },
    backward: (args) => {
      const backend = args.backend as CpuBackend;
      const { dy, x } = args.inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
      const g = geometry(x, args.attrs);
      const dx = zeroedFloat32(tf.util.sizeFromShape(x.shape));
      if (native !== undefined) native(1, cpuValues(backend, x), g.channels, g.pieces, dx, cpuValues(backend, dy));
      else maxoutBackward(cpuValues(backend, dy), cpuValues(backend, x), dx, g.channels, g.pieces);
      return backend.makeTensorInfo(x.shape.slice(), 'float32', dx);
    },
  };
}

const wasmKernels: { forward: KernelFunction; backward: KernelFunction } = {
  forward: (args) => {
    const backend = args.backend as WasmBackend;
    const x = args.inputs.x!;
    const g = geometry(x, args.attrs);
    const out = backend.makeOutput(g.outShape, 'float32');
    // Views taken after makeOutput, which may grow (and so move) the heap.
    maxoutForward(heapFloats(backend, x), heapFloats(backend, out), g.channels, g.pieces);
    return out;
  },
  backward: (args) => {
    const backend = args.backend as WasmBackend;
    const { dy, x } = args.inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
    const g = geometry(x, args.attrs);
    const out = backend.makeOutput(x.shape.slice(), 'float32');
    const dx = heapFloats(backend, out);
    dx.fill(0);
    maxoutBackward(heapFloats(backend, dy), heapFloats(backend, x), dx, g.channels, g.pieces);
    return out;
  },
};

let gradientRegistered = false;

/**
 * Registers the fused max-out kernels on `backendName` (and, once, their gradient, which is global); on cpu
 * with the addon's loops when `native` is given (an addon built before them: the JS loops).
 */
export function registerMaxout(backendName: 'cpu' | 'wasm', native?: Native): void {
  const source = backendName === 'cpu' ? 'js' : 'wasm-composed';
  const k = backendName === 'cpu' ? cpuKernels(native) : wasmKernels;
  replaceKernel(MAXOUT_KERNEL, backendName, source, () => k.forward);
  replaceKernel(MAXOUT_GRAD_KERNEL, backendName, source, () => k.backward);
  if (gradientRegistered) return;
  tf.registerGradient({
    kernelName: MAXOUT_KERNEL,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => ({
      x: () => tf.engine().runKernel(MAXOUT_GRAD_KERNEL, { dy: dy as tf.Tensor, x: saved[0]! }, attrs) as tf.Tensor,
    }),
  });
  gradientRegistered = true;
}
