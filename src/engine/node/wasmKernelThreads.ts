import { Worker } from 'node:worker_threads';
import { isShared, setWasmKernelHelpers, WASM_KERNELS, wasmKernelModule, type WasmKernelHelpers, type WasmKernelName } from '../wasmSimdKernels.js';

/**
 * Helper threads for gendice's wasm kernels in Node (wasmSimdKernels.ts): `threads - 1` worker threads, each
 * with its own instance of the kernels over TF.js's shared wasm heap, driven synchronously through a small
 * shared control block per worker (Atomics.wait / notify), so that a kernel call stays a plain synchronous
 * function as TF.js's kernels must be.
 *
 * Control block (int32): [0] call number (−1: stop), [1] the call number answered (its negative on an
 * error), [2] kernel (its index in WASM_KERNELS), [3] argument count, [4..11] arguments (the range last),
 * [12] 1 once the worker's instance is ready (−1 once it failed or ended), [13] calls it has answered,
 * [14] length of the error text, [15..] its characters. A worker not ready gets no work: its range runs on
 * the calling thread, so the values are the same whoever computes them. Workers are unref'd, so a program
 * ends when its own work does.
 */

const CONTROL_INTS = 1024;
const ARGS_AT = 4;
const MAX_ARGS = 8;
const READY = 12;
const CALLS = 13;
const ERROR_AT = 14;
const ERROR_CHARS = CONTROL_INTS - ERROR_AT - 1;
/** A kernel call that a worker does not answer within this is a dead worker, not a slow one. */
const ANSWER_TIMEOUT_MS = 5 * 60 * 1000;

const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const ctrl = new Int32Array(workerData.control);
let kernels;
try {
  const instance = new WebAssembly.Instance(workerData.module, { env: { memory: workerData.memory } });
  kernels = workerData.kernels.map((name) => instance.exports[name]);
  Atomics.store(ctrl, ${READY}, 1);
} catch (e) {
  Atomics.store(ctrl, ${READY}, -1);
}
let seen = 0;
while (kernels !== undefined) {
  Atomics.wait(ctrl, 0, seen);
  const seq = Atomics.load(ctrl, 0);
  if (seq === -1) break;
  if (seq === seen) continue;
  seen = seq;
  let answer = seq;
  try {
    kernels[ctrl[2]](...ctrl.subarray(${ARGS_AT}, ${ARGS_AT} + ctrl[3]));
  } catch (e) {
    const text = String((e && e.message) || e).slice(0, ${ERROR_CHARS});
    ctrl[${ERROR_AT}] = text.length;
    for (let i = 0; i < text.length; i++) ctrl[${ERROR_AT + 1} + i] = text.charCodeAt(i);
    answer = -seq;
  }
  Atomics.add(ctrl, ${CALLS}, 1);
  Atomics.store(ctrl, 1, answer);
  Atomics.notify(ctrl, 1);
}
`;

interface Helper {
  worker: Worker;
  ctrl: Int32Array;
}

let running: Helper[] | undefined;
let seq = 0;

function errorText(ctrl: Int32Array): string {
  const n = Math.min(ctrl[ERROR_AT]!, ERROR_CHARS);
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(ctrl[ERROR_AT + 1 + i]!);
  return s;
}

function runOn(helpers: Helper[], kernel: WasmKernelName, args: readonly number[], ranges: Array<[number, number]>, compute: (i0: number, i1: number) => void): void {
  if (args.length + 2 > MAX_ARGS) throw new Error(`wasm kernel threads: ${kernel} takes at most ${MAX_ARGS - 2} arguments before its range, got ${args.length}`);
  seq = seq >= 2 ** 30 ? 1 : seq + 1;
  const [own, ...others] = ranges;
  const handed: Helper[] = [];
  const leftovers: Array<[number, number]> = own === undefined ? [] : [own];
  others.forEach((range, i) => {
    const h = helpers[i];
    if (h === undefined || Atomics.load(h.ctrl, READY) !== 1) {
      leftovers.push(range);
      return;
    }
    h.ctrl[2] = WASM_KERNELS.indexOf(kernel);
    h.ctrl[3] = args.length + 2;
    h.ctrl.set([...args, range[0], range[1]], ARGS_AT);
    Atomics.store(h.ctrl, 0, seq);
    Atomics.notify(h.ctrl, 0);
    handed.push(h);
  });
  let failure: Error | undefined;
  try {
    for (const [i0, i1] of leftovers) compute(i0, i1);
  } catch (e) {
    failure = e as Error;
  }
  // Every helper handed work must be done before the caller may reuse or free the memory it writes.
  for (const [i, h] of handed.entries()) {
    const started = Date.now();
    for (;;) {
      const answer = Atomics.load(h.ctrl, 1);
      if (answer === seq) break;
      if (answer === -seq) {
        failure ??= new Error(`wasm ${kernel}: helper thread ${i + 1} failed: ${errorText(h.ctrl)}`);
        break;
      }
      if (Date.now() - started > ANSWER_TIMEOUT_MS) throw new Error(`wasm ${kernel}: helper thread ${i + 1} did not answer within ${ANSWER_TIMEOUT_MS / 1000} s`);
      Atomics.wait(h.ctrl, 1, answer, 1000);
    }
  }
  if (failure !== undefined) throw failure;
}

/**
 * Starts `threads - 1` helper threads over `memory` (TF.js's threaded wasm heap) and installs them for the
 * kernels (setWasmKernelHelpers); stops any started before. Nothing for one thread or an unshared memory.
 * Returns the thread count the kernels will use.
 */
export function startWasmKernelThreads(memory: WebAssembly.Memory, threads: number): number {
  stopWasmKernelThreads();
  if (threads <= 1 || !isShared(memory)) return 1;
  let module: WebAssembly.Module;
  try {
    module = wasmKernelModule(true);
  } catch {
    return 1;
  }
  const helpers: Helper[] = [];
  for (let i = 1; i < threads; i++) {
    const control = new SharedArrayBuffer(CONTROL_INTS * 4);
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { control, memory, module, kernels: WASM_KERNELS } });
    const ctrl = new Int32Array(control);
    // A worker that ends (or fails to start) gets no more work: its ranges run on the calling thread.
    const retire = (): void => void Atomics.store(ctrl, READY, -1);
    worker.on('error', retire);
    worker.on('exit', retire);
    worker.unref();
    helpers.push({ worker, ctrl });
  }
  running = helpers;
  const installed: WasmKernelHelpers = { memory, threads, run: (kernel, args, ranges, compute) => runOn(helpers, kernel, args, ranges, compute) };
  setWasmKernelHelpers(installed);
  return threads;
}

/** Stops the helper threads (each leaves its wait loop) and removes them from the kernels. */
export function stopWasmKernelThreads(): void {
  if (running === undefined) return;
  setWasmKernelHelpers(undefined);
  for (const h of running) {
    Atomics.store(h.ctrl, READY, -1);
    Atomics.store(h.ctrl, 0, -1);
    Atomics.notify(h.ctrl, 0);
  }
  running = undefined;
}

/** Each helper thread's state: ready (its instance made), and how many calls it has answered. */
export function wasmKernelThreadStates(): Array<{ ready: boolean; calls: number }> {
  return (running ?? []).map((h) => ({ ready: Atomics.load(h.ctrl, READY) === 1, calls: Atomics.load(h.ctrl, CALLS) }));
}

/** Resolves once every helper thread is ready or has failed to start (at most `timeoutMs`; their ranges run on the caller until then). */
export async function wasmKernelThreadsSettled(timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while ((running ?? []).some((h) => Atomics.load(h.ctrl, READY) === 0) && Date.now() - started < timeoutMs) {
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
