import { Worker } from 'node:worker_threads';
import { filterGradientModule, isShared, setWasmKernelHelpers, type KernelPointers, type WasmKernelHelpers } from '../wasmFilterGradient.js';

/**
 * Helper threads for gendice's wasm kernels in Node (wasmFilterGradient.ts): `threads - 1` worker threads,
 * each with its own instance of the kernel over TF.js's shared wasm heap, driven synchronously through a
 * small shared control block per worker (Atomics.wait / notify), so that a kernel call stays a plain
 * synchronous function as TF.js's kernels must be.
 *
 * Control block (int32): [0] call number (−1: stop), [1] the call number answered (its negative on an
 * error), [2..5] geometry, x, dy, dW pointers, [6] t0, [7] t1, [8] 1 once the worker's instance is ready
 * (−1 once it failed or ended), [9] calls it has answered, [10] length of the error text, [11..] its characters. A worker not yet ready gets no work: its range runs
 * on the calling thread, so the values are the same whoever computes them. Workers are unref'd, so a
 * program ends when its own work does.
 */

const CONTROL_INTS = 1024;
const ERROR_CHARS = CONTROL_INTS - 11;
/** A kernel call that no worker answers within this is a dead worker, not a slow one. */
const ANSWER_TIMEOUT_MS = 5 * 60 * 1000;

const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const ctrl = new Int32Array(workerData.control);
let kernel;
try {
  const instance = new WebAssembly.Instance(workerData.module, { env: { memory: workerData.memory } });
  kernel = instance.exports.filter_gradient;
  Atomics.store(ctrl, 8, 1);
} catch (e) {
  Atomics.store(ctrl, 8, -1);
}
let seen = 0;
while (kernel !== undefined) {
  Atomics.wait(ctrl, 0, seen);
  const seq = Atomics.load(ctrl, 0);
  if (seq === -1) break;
  if (seq === seen) continue;
  seen = seq;
  let answer = seq;
  try {
    kernel(ctrl[2], ctrl[3], ctrl[4], ctrl[5], ctrl[6], ctrl[7]);
  } catch (e) {
    const text = String(e && e.message || e).slice(0, ${ERROR_CHARS});
    ctrl[10] = text.length;
    for (let i = 0; i < text.length; i++) ctrl[11 + i] = text.charCodeAt(i);
    answer = -seq;
  }
  Atomics.add(ctrl, 9, 1);
  Atomics.store(ctrl, 1, answer);
  Atomics.notify(ctrl, 1);
}
`;

interface Helper {
  worker: Worker;
  ctrl: Int32Array;
}

let running: { helpers: Helper[]; memory: WebAssembly.Memory } | undefined;
let seq = 0;

function errorText(ctrl: Int32Array): string {
  const n = Math.min(ctrl[10]!, ERROR_CHARS);
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(ctrl[11 + i]!);
  return s;
}

function runOn(helpers: Helper[], p: KernelPointers, ranges: Array<[number, number]>, compute: (t0: number, t1: number) => void): void {
  seq = seq >= 2 ** 30 ? 1 : seq + 1;
  const handed: Helper[] = [];
  const [own, ...others] = ranges;
  const leftovers: Array<[number, number]> = own === undefined ? [] : [own];
  others.forEach((range, i) => {
    const h = helpers[i];
    if (h === undefined || Atomics.load(h.ctrl, 8) !== 1) {
      leftovers.push(range);
      return;
    }
    h.ctrl.set([p.geometry, p.x, p.dy, p.dW, range[0], range[1]], 2);
    Atomics.store(h.ctrl, 0, seq);
    Atomics.notify(h.ctrl, 0);
    handed.push(h);
  });
  let failure: Error | undefined;
  try {
    for (const [t0, t1] of leftovers) compute(t0, t1);
  } catch (e) {
    failure = e as Error;
  }
  for (const [i, h] of handed.entries()) {
    const started = Date.now();
    for (;;) {
      const answer = Atomics.load(h.ctrl, 1);
      if (answer === seq) break;
      if (answer === -seq) {
        failure ??= new Error(`wasm filter gradient: helper thread ${i + 1} failed: ${errorText(h.ctrl)}`);
        break;
      }
      if (Date.now() - started > ANSWER_TIMEOUT_MS) throw new Error(`wasm filter gradient: helper thread ${i + 1} did not answer within ${ANSWER_TIMEOUT_MS / 1000} s`);
      Atomics.wait(h.ctrl, 1, answer, 1000);
    }
  }
  if (failure !== undefined) throw failure;
}

/**
 * Starts `threads - 1` helper threads over `memory` (TF.js's threaded wasm heap) and installs them for the
 * kernel (setWasmKernelHelpers); stops any started before. Nothing for one thread or an unshared memory.
 * Returns the thread count the kernel will use.
 */
export function startWasmKernelThreads(memory: WebAssembly.Memory, threads: number): number {
  stopWasmKernelThreads();
  if (threads <= 1 || !isShared(memory)) return 1;
  let module: WebAssembly.Module;
  try {
    module = filterGradientModule(true);
  } catch {
    return 1;
  }
  const helpers: Helper[] = [];
  for (let i = 1; i < threads; i++) {
    const control = new SharedArrayBuffer(CONTROL_INTS * 4);
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { control, memory, module } });
    const ctrl = new Int32Array(control);
    // A worker that ends (or fails to start) gets no more work: its ranges run on the calling thread.
    const retire = (): void => void Atomics.store(ctrl, 8, -1);
    worker.on('error', retire);
    worker.on('exit', retire);
    worker.unref();
    helpers.push({ worker, ctrl });
  }
  running = { helpers, memory };
  const installed: WasmKernelHelpers = { memory, threads, run: (p, ranges, compute) => runOn(helpers, p, ranges, compute) };
  setWasmKernelHelpers(installed);
  return threads;
}

/** Stops the helper threads (each leaves its wait loop) and removes them from the kernel. */
export function stopWasmKernelThreads(): void {
  if (running === undefined) return;
  setWasmKernelHelpers(undefined);
  for (const h of running.helpers) {
    Atomics.store(h.ctrl, 8, -1);
    Atomics.store(h.ctrl, 0, -1);
    Atomics.notify(h.ctrl, 0);
  }
  running = undefined;
}

/** Each helper thread's state: ready (its instance made), and how many calls it has answered. */
export function wasmKernelThreadStates(): Array<{ ready: boolean; calls: number }> {
  return (running?.helpers ?? []).map((h) => ({ ready: Atomics.load(h.ctrl, 8) === 1, calls: Atomics.load(h.ctrl, 9) }));
}

/** Resolves once every helper thread is ready or has failed to start (at most `timeoutMs`; their ranges run on the caller until then). */
export async function wasmKernelThreadsSettled(timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while ((running?.helpers ?? []).some((h) => Atomics.load(h.ctrl, 8) === 0) && Date.now() - started < timeoutMs) {
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
