import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';

/**
 * TF.js's wasm backend on more than one thread in Node. TF.js 4.22 ships a threaded build (XNNPACK's thread
 * pool on emscripten pthreads, which run in worker_threads in Node) but switches it off in Node
 * (`WASM_HAS_MULTITHREAD_SUPPORT` is false there, tfjs issue 3830) because its loader hands the pthread
 * workers blob: URLs, which Node's workers cannot load. `initialiseWasmBackend` initialises the backend with
 * the threaded build and bridges exactly those gaps, only while `tf.setBackend('wasm')` runs:
 * - the worker script TF.js embeds is written once to a file in the temporary folder (named by its hash,
 *   written to a temporary name, fsynced and renamed), and the blob: URL asked for it becomes that path;
 * - the main script each worker loads (a Blob of the module factory) becomes the package's own copy of it,
 *   `wasm-out/tfjs-backend-wasm-threaded-simd.js`;
 * - TF.js caps XNNPACK's threads at half of `os.cpus().length` (it assumes two hardware threads per core),
 *   so `os.cpus()` reports twice the requested thread count during the initialisation.
 * Afterwards the workers XNNPACK does not use are terminated (emscripten starts 8) and the rest are
 * unref'd, so that a program ends when its own work does. Values are XNNPACK's on any thread count.
 */
export const WASM_THREADS_ENV = 'GENDICE_WASM_THREADS';

/** Threads of the wasm engine: `$GENDICE_WASM_THREADS` (1 to 8), else the logical cores, at most 8. */
export function wasmThreadCount(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[WASM_THREADS_ENV];
  if (raw === undefined || raw === '') return Math.max(1, Math.min(8, os.cpus().length));
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 8) {
    throw new Error(`${WASM_THREADS_ENV} must be a whole number from 1 to 8 (1: TF.js's single-threaded wasm build), got '${raw}'`);
  }
  return n;
}

interface EmscriptenThreads {
  unusedWorkers: Worker[];
  runningWorkers: Worker[];
}

const require = createRequire(import.meta.url);

/** The worker script as a file (written atomically once per content), and the factory script the workers load. */
function threadScripts(): { workerFile: string; mainScript: string } {
  const folder = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'wasm-out');
  const mainScript = join(folder, 'tfjs-backend-wasm-threaded-simd.js');
  // The module keeps the script in a template literal: its "\n" escapes became newlines (TF.js escapes them again).
  const contents = (require(join(folder, 'tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string }).wasmWorkerContents.replace(/\n/g, '\\n');
  const hash = createHash('sha256').update(contents).digest('hex').slice(0, 16);
  const workerFile = join(os.tmpdir(), `gendice-tfjs-wasm-worker-${hash}.cjs`);
  if (!existsSync(workerFile)) {
    const partial = `${workerFile}.${process.pid}.partial`;
    const fd = openSync(partial, 'w');
    try {
      writeSync(fd, contents);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(partial, workerFile);
  }
  return { workerFile, mainScript };
}

/**
 * Initialises TF.js's wasm backend (its package imported before) on `threads` threads: TF.js's own
 * single-threaded initialisation for 1, the threaded build otherwise. Returns the thread count XNNPACK
 * reports. Throws, naming `GENDICE_WASM_THREADS=1` as the way out, when the threaded build cannot start.
 */
export async function initialiseWasmBackend(threads: number): Promise<number> {
  const wasm = (await import('@tensorflow/tfjs-backend-wasm')) as unknown as { setThreadsCount(n: number): void; getThreadsCount(): number };
  if (threads <= 1) {
    if (!(await tf.setBackend('wasm'))) throw new Error('selectEngine: the wasm backend failed to initialise');
    return wasm.getThreadsCount();
  }
  const { workerFile, mainScript } = threadScripts();
  const workers: Worker[] = [];
  const createObjectURL = URL.createObjectURL;
  const postMessage = Worker.prototype.postMessage;
  const cpus = os.cpus;
  URL.createObjectURL = (obj: Blob | MediaSource) => (obj instanceof Blob && obj.type === 'application/javascript' ? workerFile : createObjectURL(obj as Blob));
  Worker.prototype.postMessage = function (this: Worker, message: unknown, transfer?: readonly unknown[]) {
    const m = message as { cmd?: string; urlOrBlob?: unknown } | null;
    if (m !== null && typeof m === 'object' && m.cmd === 'load') {
      workers.push(this);
      if (typeof m.urlOrBlob !== 'string') message = { ...m, urlOrBlob: mainScript };
    }
    return (postMessage as (this: Worker, message: unknown, transfer?: readonly unknown[]) => void).call(this, message, transfer);
  } as typeof Worker.prototype.postMessage;
  os.cpus = () => Array.from({ length: 2 * threads }, (_, i) => cpus()[i % Math.max(1, cpus().length)]!);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  wasm.setThreadsCount(threads);
  let ok = false;
  try {
    ok = await tf.setBackend('wasm');
  } catch (e) {
    throw new Error(`selectEngine: the threaded wasm backend failed to initialise (${(e as Error).message}); ${WASM_THREADS_ENV}=1 uses TF.js's single-threaded build`);
  } finally {
    URL.createObjectURL = createObjectURL;
    Worker.prototype.postMessage = postMessage;
    os.cpus = cpus;
  }
  if (!ok) throw new Error(`selectEngine: the threaded wasm backend failed to initialise; ${WASM_THREADS_ENV}=1 uses TF.js's single-threaded build`);
  const pthreads = (tf.backend() as unknown as { wasm: { PThread?: EmscriptenThreads } }).wasm.PThread;
  if (pthreads !== undefined) {
    for (const w of pthreads.unusedWorkers.splice(0)) void w.terminate();
    for (const w of pthreads.runningWorkers) w.unref();
  } else {
    for (const w of workers) w.unref();
  }
  return wasm.getThreadsCount();
}
