import { afterAll, describe, expect, it } from 'vitest';
import { startWasmKernelThreads, stopWasmKernelThreads, wasmKernelThreadStates, wasmKernelThreadsSettled } from '../../src/engine/node/wasmKernelThreads.js';
import { GEOMETRY_INTS, geometryInts, instantiateWasmKernels, runFilterGradient, runReluGrad, wasmKernelHelpers, type KernelGeometry } from '../../src/engine/wasmSimdKernels.js';
import { randn } from './_helpers.js';

// Node's helper threads for gendice's wasm kernels (node/wasmKernelThreads.ts), on a shared memory of the
// test's own: the same bits as one thread, work actually done by the helpers, errors carried back, a stop.
afterAll(() => stopWasmKernelThreads());

const g: KernelGeometry = { N: 2, D: 3, H: 9, W: 8, Ci: 5, OD: 3, OH: 9, OW: 8, Co: 24, FD: 3, FH: 3, FW: 3, pd: 1, ph: 1, pw: 1, sd: 1, sh: 1, sw: 1, dd: 1, dh: 1, dw: 1 };
const xFloats = g.N * g.D * g.H * g.W * g.Ci;
const dyFloats = g.N * g.OD * g.OH * g.OW * g.Co;
const wFloats = g.FD * g.FH * g.FW * g.Ci * g.Co;
const p = { geometry: 64, x: 1024, dy: 1024 + 4 * xFloats + 16, dW: 1024 + 4 * (xFloats + dyFloats) + 64 };

function sharedSetUp(): { memory: WebAssembly.Memory; read(): number[] } {
  const memory = new WebAssembly.Memory({ initial: 32, maximum: 1024, shared: true });
  const ints = geometryInts(g);
  ints[GEOMETRY_INTS - 1] = 3; // a few rows per chunk
  new Int32Array(memory.buffer, p.geometry, GEOMETRY_INTS).set(ints);
  new Float32Array(memory.buffer, p.x, xFloats).set(randn([xFloats], 5).values);
  new Float32Array(memory.buffer, p.dy, dyFloats).set(randn([dyFloats], 6).values);
  return { memory, read: () => Array.from(new Uint32Array(memory.buffer, p.dW, wFloats)) };
}

describe('wasm kernel helper threads (Node)', () => {
  it('give the bits of one thread, with each helper doing its share', async () => {
    const s = sharedSetUp();
    const inst = instantiateWasmKernels(s.memory);
    runFilterGradient(inst, s.memory, p, wFloats);
    const alone = s.read();
    expect(startWasmKernelThreads(s.memory, 3)).toBe(3);
    await wasmKernelThreadsSettled();
    expect(wasmKernelThreadStates().map((t) => t.ready)).toEqual([true, true]);
    expect(wasmKernelHelpers()?.memory).toBe(s.memory);
    for (let round = 1; round <= 3; round++) {
      runFilterGradient(inst, s.memory, p, wFloats);
      expect(s.read()).toEqual(alone);
      expect(wasmKernelThreadStates().map((t) => t.calls)).toEqual([round, round]);
    }
  });

  it('carry a helper failure back to the caller as an error naming the kernel', async () => {
    const s = sharedSetUp();
    const inst = instantiateWasmKernels(s.memory);
    startWasmKernelThreads(s.memory, 2);
    await wasmKernelThreadsSettled();
    // dW past the end of memory: every range traps, the helper's included
    const beyond = { ...p, dW: s.memory.buffer.byteLength - 16 };
    expect(() => runFilterGradient(inst, s.memory, beyond, 0)).toThrow(/out of bounds/);
    // a ReLU gradient whose second half (the helper's range) runs past the end of memory
    const n = 200_000;
    const end = s.memory.buffer.byteLength;
    expect(() => runReluGrad(inst, s.memory, { dy: 0, y: 0, out: end - 4 * (n / 2) - 64 }, n)).toThrow(/wasm relu_grad: helper thread 1 failed: .*out of bounds/);
    // and the helper still serves the next call
    runFilterGradient(inst, s.memory, p, wFloats);
    runFilterGradient(instantiateWasmKernels(s.memory), s.memory, p, wFloats);
    expect(wasmKernelThreadStates()[0]!.ready).toBe(true);
  });

  it('stop, leaving the kernel on the calling thread; nothing for one thread or an unshared memory', async () => {
    const s = sharedSetUp();
    startWasmKernelThreads(s.memory, 2);
    stopWasmKernelThreads();
    expect(wasmKernelHelpers()).toBeUndefined();
    expect(wasmKernelThreadStates()).toEqual([]);
    expect(startWasmKernelThreads(s.memory, 1)).toBe(1);
    expect(startWasmKernelThreads(new WebAssembly.Memory({ initial: 1 }), 4)).toBe(1);
    expect(wasmKernelHelpers()).toBeUndefined();
  });
});
