import * as tf from '@tensorflow/tfjs';
import { registerElementwise } from '../jsElementwise.js';
import { registerMaxout } from '../maxout.js';
import { installOutputPool, type PoolableBackend } from '../outputArrays.js';
import { setNativeOptimizerUpdate } from '../optimizerUpdate.js';
import { registerSoftmaxOverlap } from '../softmaxOverlap.js';
import { setNativeValueScan } from '../valueScan.js';
import { setNativeWindowBlend, windowBlendKernels } from '../windowBlend.js';
import { registerPooling, registerWasmPooling } from '../jsPooling.js';
import { registerReductions } from '../jsReduce.js';
import { registerSliceConcat } from '../jsSliceConcat.js';
import { registerNativeConvolutions } from '../nativeConv.js';
import { registerEngineProvider, type EngineProvider, type SelectEngineOptions } from '../select.js';
import { registerWasmConvolutions } from '../wasmConv.js';
import { wasmHeapMemory } from '../wasmSimdKernels.js';
import { ADDON_PATH_ENV, loadAddon, memoryKernels } from './addon.js';
import { startWasmKernelThreads, wasmKernelThreadsSettled } from './wasmKernelThreads.js';
import { initialiseWasmBackend, wasmThreadCount } from './wasmThreads.js';

/** `GENDICE_MALLOC=system` keeps glibc's own policy of returning large freed arrays to the kernel. */
export const MALLOC_ENV = 'GENDICE_MALLOC';

const addonPathOf = (options: SelectEngineOptions): string | undefined => options.addonPath ?? process.env[ADDON_PATH_ENV];

/** `native`: TF.js's cpu backend with the oneDNN addon's convolutions and the fast JS (or C++) memory-bound kernels. */
export const nativeProvider: EngineProvider = {
  name: 'native',
  requestKey: (options) => addonPathOf(options) ?? '',
  async activate(options) {
    const addon = loadAddon(addonPathOf(options));
    const status = { path: addon.path, loaded: addon.ok, error: addon.ok ? undefined : addon.reason };
    if (!addon.ok) return { ok: false, missing: 'oneDNN addon', reason: addon.reason, addon: status };
    if (!(await tf.setBackend('cpu'))) throw new Error('selectEngine: the cpu backend failed to initialise');
    // Freed memory stays with malloc for reuse (page faults and the kernel's zeroing of fresh mappings cost a
    // large share of memory-bound kernels; docs/engine.md), unless GENDICE_MALLOC=system. Process-wide, once.
    if (process.env[MALLOC_ENV] !== 'system' && typeof addon.addon.retainFreedMemory === 'function') addon.addon.retainFreedMemory();
    // Kernel outputs reused once TF.js disposes their tensors (outputArrays.ts), unless GENDICE_OUTPUT_POOL_MB=0.
    installOutputPool(tf.backend() as unknown as PoolableBackend);
    const kernels = memoryKernels(addon.addon);
    registerNativeConvolutions(addon.addon);
    registerSliceConcat(kernels);
    registerElementwise(kernels);
    registerReductions(kernels);
    registerPooling(kernels);
    registerMaxout('cpu', typeof addon.addon.maxout === 'function' ? addon.addon.maxout.bind(addon.addon) : undefined);
    if (typeof addon.addon.softmaxOverlap === 'function') registerSoftmaxOverlap(addon.addon.softmaxOverlap.bind(addon.addon));
    setNativeValueScan(typeof addon.addon.scanValues === 'function' ? addon.addon.scanValues.bind(addon.addon) : undefined);
    setNativeOptimizerUpdate(typeof addon.addon.optimizerUpdate === 'function' ? addon.addon.optimizerUpdate.bind(addon.addon) : undefined);
    setNativeWindowBlend(windowBlendKernels(addon.addon));
    const dnnlVersion = addon.addon.dnnlVersion();
    return {
      ok: true,
      what: `cpu backend with oneDNN ${dnnlVersion} convolutions and fast JS kernels`,
      autoWhy: 'oneDNN addon loaded',
      addon: status,
      dnnlVersion,
    };
  },
};

/** `wasm`: TF.js's wasm backend (binary found from node_modules) with convolutions composed from XNNPACK's, on `GENDICE_WASM_THREADS` threads (wasmThreads.ts). */
export const wasmProvider: EngineProvider = {
  name: 'wasm',
  async activate() {
    // Imported only when chosen: importing it registers 'wasm' as TF.js's highest-priority backend,
    // which would break synchronous TF.js use in programs that merely import gendice.
    await import('@tensorflow/tfjs-backend-wasm');
    // Register before the backend initialises so that the kernels' setup functions run with it.
    registerWasmConvolutions();
    registerMaxout('wasm');
    registerWasmPooling();
    const threads = await initialiseWasmBackend(wasmThreadCount());
    // gendice's own kernels (wasmSimdKernels.ts) on as many threads as XNNPACK, over the same heap.
    const memory = wasmHeapMemory(tf.backend());
    const kernelThreads = memory === undefined ? 1 : startWasmKernelThreads(memory, threads);
    await wasmKernelThreadsSettled();
    const plural = (n: number): string => `${n} thread${n === 1 ? '' : 's'}`;
    return { ok: true, what: `TF.js wasm with composed XNNPACK convolutions, ${plural(threads)}; gendice's filter and ReLU gradients and max pooling, ${plural(kernelThreads)}` };
  },
};

/** Registers the Node-only engines `native` and `wasm` (idempotent; the Node entry does it on import). */
export function registerNodeEngines(): void {
  registerEngineProvider(nativeProvider);
  registerEngineProvider(wasmProvider);
}
