import * as tf from '@tensorflow/tfjs';
import { didYouMean } from '../common/index.js';
import { ADDON_PATH_ENV, loadAddon, memoryKernels, type AddonLoad } from './node/addon.js';
import { registerElementwise } from './jsElementwise.js';
import { registerMaxout } from './maxout.js';
import { registerPooling } from './jsPooling.js';
import { registerReductions } from './jsReduce.js';
import { registerSliceConcat } from './jsSliceConcat.js';
import { replacedKernels, restoreKernels, type ReplacedKernel } from './kernelRegistry.js';
import { registerNativeConvolutions } from './nativeConv.js';
import { registerWasmConvolutions } from './wasmConv.js';

/**
 * The engines gendice can train on:
 * - `native`: TF.js's `cpu` backend with oneDNN convolutions (the addon) and fast JS memory-bound kernels;
 * - `wasm`: TF.js's `wasm` backend with convolution kernels composed from its XNNPACK ones (no system library);
 * - `cpu`: TF.js's stock `cpu` backend, nothing replaced (the reference; very slow to train).
 */
export type EngineName = 'native' | 'wasm' | 'cpu';
export const ENGINE_NAMES: readonly EngineName[] = ['native', 'wasm', 'cpu'];

/** The environment variable that forces an engine. */
export const ENGINE_ENV = 'GENDICE_ENGINE';

export interface SelectEngineOptions {
  /** Force an engine; default: `$GENDICE_ENGINE`, else `native` when the addon loads, else `wasm`. */
  engine?: EngineName;
  /** Path of the addon file; default: `$GENDICE_NATIVE_ADDON`, else native/build/Release/gendice_dnnl.node. */
  addonPath?: string;
  /** Do not print the one stderr line that says which engine was chosen and why. Default false. */
  quiet?: boolean;
}

export interface EngineInfo {
  /** The active engine, or undefined before `selectEngine()`. */
  engine: EngineName | undefined;
  /** The TF.js backend it runs on (`cpu` or `wasm`). */
  backend: string;
  /** Why this engine was chosen (the text of the stderr line). */
  reason: string;
  /** oneDNN's version when the addon is loaded. */
  dnnlVersion: string | undefined;
  /** Where the addon was looked for, and why it did not load when it did not. */
  addon: { path: string; loaded: boolean; error: string | undefined } | undefined;
  /** Kernels registered in place of TF.js's own. */
  replacedKernels: ReplacedKernel[];
}

let current: { engine: EngineName; reason: string; addon: AddonLoad | undefined; key: string } | undefined;

function parseEngine(value: string, from: string): EngineName {
  const v = value.trim().toLowerCase();
  if ((ENGINE_NAMES as readonly string[]).includes(v)) return v as EngineName;
  throw new Error(`selectEngine: ${from} '${value}' is not an engine${didYouMean(value, ENGINE_NAMES)}`);
}

/**
 * Chooses the engine that trains and installs its kernels; call it before building models.
 * Policy: `options.engine`, else `$GENDICE_ENGINE` (native|wasm|cpu), else `native` when the oneDNN addon
 * loads, else the `wasm` fallback. Forcing `native` when the addon cannot load throws. Prints one line
 * on stderr saying which engine and why (unless `quiet`). Idempotent: calling it again with the same
 * request changes nothing and prints nothing; a different request switches engines (tensors created on
 * the previous backend stay there). Also turns on TF.js's production mode, which silences its
 * "Hi there" console banner.
 */
export async function selectEngine(options: SelectEngineOptions = {}): Promise<EngineInfo> {
  const envValue = process.env[ENGINE_ENV];
  const forced = options.engine !== undefined
    ? parseEngine(options.engine, 'option engine')
    : envValue !== undefined && envValue !== ''
      ? parseEngine(envValue, `${ENGINE_ENV}`)
      : undefined;
  const addonPath = options.addonPath ?? process.env[ADDON_PATH_ENV];
  const key = `${forced ?? 'auto'}|${addonPath ?? ''}`;
  if (current !== undefined && current.key === key) return engineInfo();

  tf.enableProdMode();
  resetEngine();
  let engine: EngineName;
  let reason: string;
  let addon: AddonLoad | undefined;
  if (forced === 'cpu') {
    engine = 'cpu';
    reason = `${options.engine !== undefined ? 'requested' : `${ENGINE_ENV}=cpu`}: stock TF.js cpu kernels, nothing replaced`;
  } else if (forced === 'wasm') {
    engine = 'wasm';
    reason = `${options.engine !== undefined ? 'requested' : `${ENGINE_ENV}=wasm`}: TF.js wasm with composed XNNPACK convolutions`;
  } else {
    addon = loadAddon(addonPath);
    if (addon.ok) {
      engine = 'native';
      reason = `${forced === 'native' ? (options.engine !== undefined ? 'requested' : `${ENGINE_ENV}=native`) : 'oneDNN addon loaded'}: cpu backend with oneDNN ${addon.addon.dnnlVersion()} convolutions and fast JS kernels`;
    } else if (forced === 'native') {
      throw new Error(`selectEngine: engine 'native' was forced but the oneDNN addon did not load: ${addon.reason}`);
    } else {
      engine = 'wasm';
      reason = `oneDNN addon unavailable (${addon.reason}): falling back to wasm with composed XNNPACK convolutions`;
    }
  }

  if (engine === 'wasm') {
    // Imported only when chosen: importing it registers 'wasm' as TF.js's highest-priority backend,
    // which would break synchronous TF.js use in programs that merely import gendice.
    await import('@tensorflow/tfjs-backend-wasm');
    // Register before the backend initialises so that the kernels' setup functions run with it.
    registerWasmConvolutions();
    registerMaxout('wasm');
    if (!(await tf.setBackend('wasm'))) throw new Error('selectEngine: the wasm backend failed to initialise');
  } else {
    if (!(await tf.setBackend('cpu'))) throw new Error('selectEngine: the cpu backend failed to initialise');
    if (engine === 'native' && addon !== undefined && addon.ok) {
      registerNativeConvolutions(addon.addon);
      registerSliceConcat(memoryKernels(addon.addon));
      registerElementwise(memoryKernels(addon.addon));
      registerReductions(memoryKernels(addon.addon));
      registerPooling(memoryKernels(addon.addon));
      registerMaxout('cpu', typeof addon.addon.maxout === 'function' ? addon.addon.maxout.bind(addon.addon) : undefined);
    }
  }
  await tf.ready();
  current = { engine, reason, addon, key };
  if (options.quiet !== true) process.stderr.write(`gendice engine: ${engine} (${reason})\n`);
  return engineInfo();
}

/** The active engine, why it was chosen, and the kernels it replaced. */
export function engineInfo(): EngineInfo {
  const addon = current?.addon;
  return {
    engine: current?.engine,
    backend: current !== undefined ? tf.getBackend() : 'none',
    reason: current?.reason ?? 'selectEngine() has not been called',
    dnnlVersion: addon?.ok === true ? addon.addon.dnnlVersion() : undefined,
    addon: addon === undefined ? undefined : { path: addon.path, loaded: addon.ok, error: addon.ok ? undefined : addon.reason },
    replacedKernels: replacedKernels(),
  };
}

/**
 * Puts TF.js's own kernels back and forgets the selection (the backend stays as it is).
 * For tests and benchmarks that compare engines in one process.
 */
export function resetEngine(): void {
  restoreKernels();
  current = undefined;
}
