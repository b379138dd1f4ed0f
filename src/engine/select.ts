import * as tf from '@tensorflow/tfjs';
import { didYouMean } from '../common/didYouMean.js';
import { replacedKernels, restoreKernels, type ReplacedKernel } from './kernelRegistry.js';
import { installMissingGradients } from './gradients/index.js';
import { setNativeOptimizerUpdate } from './optimizerUpdate.js';
import { uninstallOutputPool } from './outputArrays.js';
import { setNativeValueScan } from './valueScan.js';
import { setNativeWindowBlend } from './windowBlend.js';

/**
 * The engines gendice can train on:
 * - `native` (Node entry): TF.js's `cpu` backend with oneDNN convolutions (the addon) and fast JS memory-bound kernels;
 * - `wasm` (Node entry): TF.js's `wasm` backend with convolution kernels composed from its XNNPACK ones;
 * - `cpu`: TF.js's stock `cpu` backend, nothing replaced (the reference; very slow to train);
 * - `webgl`: TF.js's WebGL backend (browsers), its reported float precision corrected (webglPrecision.ts) and
 *   rank-5 padding composed (webglKernels.ts), both by `installMissingGradients()`;
 * - `webgpu`: TF.js's WebGPU backend, where the bundle includes it and the browser has WebGPU.
 */
export const ENGINE_NAMES = ['native', 'wasm', 'cpu', 'webgl', 'webgpu'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

/** The environment variable that forces an engine (read where `process.env` exists). */
export const ENGINE_ENV = 'GENDICE_ENGINE';

export interface SelectEngineOptions {
  /** Force an engine; default: `$GENDICE_ENGINE`, else the first usable one in the default order. */
  engine?: EngineName;
  /** `native` only: path of the addon file; default `$GENDICE_NATIVE_ADDON`, else native/build/Release/gendice_dnnl.node. */
  addonPath?: string;
  /** Do not print the one line that says which engine was chosen and why. Default false. */
  quiet?: boolean;
}

/** Where the addon was looked for, and why it did not load when it did not (native provider). */
export interface AddonStatus {
  path: string;
  loaded: boolean;
  error: string | undefined;
}

export interface EngineInfo {
  /** The active engine, or undefined before `selectEngine()`. */
  engine: EngineName | undefined;
  /** The TF.js backend it runs on (`cpu`, `wasm`, `webgl`, `webgpu`). */
  backend: string;
  /** Why this engine was chosen (the text of the stderr line). */
  reason: string;
  /** oneDNN's version when the addon is loaded. */
  dnnlVersion: string | undefined;
  /** Where the addon was looked for, and why it did not load when it did not (when native was tried). */
  addon: AddonStatus | undefined;
  /** Kernels registered in place of TF.js's own. */
  replacedKernels: ReplacedKernel[];
}

/** What a provider reports after trying to activate its engine. */
export type EngineActivation =
  | {
      ok: true;
      /** What runs, e.g. "cpu backend with oneDNN 2.6.0 convolutions and fast JS kernels". */
      what: string;
      /** Why it was picked when nobody asked for it, e.g. "oneDNN addon loaded"; default "first usable engine". */
      autoWhy?: string;
      addon?: AddonStatus;
      dnnlVersion?: string;
    }
  | {
      ok: false;
      /** What is missing, e.g. "oneDNN addon": "the oneDNN addon did not load" / "oneDNN addon unavailable". */
      missing: string;
      reason: string;
      addon?: AddonStatus;
    };

/**
 * An engine: a TF.js backend and the kernels gendice installs on it. `activate` either fails before
 * changing anything (`ok: false`) or sets the backend and registers its kernels (`ok: true`).
 * The universal core registers `cpu`, `webgl`, `webgpu`; the Node entry registers `native` and `wasm`.
 */
export interface EngineProvider {
  readonly name: EngineName;
  activate(options: SelectEngineOptions): Promise<EngineActivation>;
  /** What, besides the engine name, makes a request different (native: the addon path). */
  requestKey?(options: SelectEngineOptions): string;
}

const providers = new Map<EngineName, EngineProvider>();

/** Registers (or replaces) the provider of an engine name. */
export function registerEngineProvider(provider: EngineProvider): void {
  providers.set(provider.name, provider);
}

/** The engine names with a registered provider, in ENGINE_NAMES order. */
export function registeredEngines(): EngineName[] {
  return ENGINE_NAMES.filter((n) => providers.has(n));
}

type NodeLikeProcess = { env?: Record<string, string | undefined>; versions?: { node?: string }; stderr?: { write(s: string): unknown } };
const nodeProcess = (): NodeLikeProcess | undefined => (globalThis as { process?: NodeLikeProcess }).process;

/** The automatic order: native, wasm, cpu under Node; webgpu, webgl, wasm, cpu elsewhere (browsers). */
export function defaultEngineOrder(): EngineName[] {
  return typeof nodeProcess()?.versions?.node === 'string' ? ['native', 'wasm', 'cpu'] : ['webgpu', 'webgl', 'wasm', 'cpu'];
}

/** Sets TF.js's backend `name`, failing (not throwing) when it is not in this build or cannot start. */
async function setBackendOrFail(name: string, missing: string): Promise<EngineActivation | undefined> {
  if (tf.findBackendFactory(name) == null) return { ok: false, missing, reason: `TF.js has no '${name}' backend in this build` };
  if (!(await tf.setBackend(name))) return { ok: false, missing, reason: `TF.js's '${name}' backend failed to initialise` };
  return undefined;
}

registerEngineProvider({
  name: 'cpu',
  async activate() {
    const failed = await setBackendOrFail('cpu', 'cpu backend');
    return failed ?? { ok: true, what: 'stock TF.js cpu kernels, nothing replaced' };
  },
});

registerEngineProvider({
  name: 'webgl',
  async activate() {
    // Before the backend exists, so that the first optimizer made on it already gets epsilon 1e-7;
    // also installs webgl's rank-5 PadV2 and the gradients (webglPrecision.ts, webglKernels.ts).
    installMissingGradients();
    const failed = await setBackendOrFail('webgl', 'WebGL backend');
    if (failed !== undefined) return failed;
    const float32 = tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED');
    return { ok: true, what: `TF.js WebGL ${tf.env().getNumber('WEBGL_VERSION')} backend, ${float32 ? 'float32' : 'float16'} textures` };
  },
});

registerEngineProvider({
  name: 'webgpu',
  async activate() {
    const failed = await setBackendOrFail('webgpu', 'WebGPU backend');
    return failed ?? { ok: true, what: 'TF.js WebGPU backend' };
  },
});

let current: { engine: EngineName; reason: string; addon: AddonStatus | undefined; dnnlVersion: string | undefined; key: string } | undefined;

function parseEngine(value: string, from: string): EngineName {
  const v = value.trim().toLowerCase();
  if ((ENGINE_NAMES as readonly string[]).includes(v)) return v as EngineName;
  throw new Error(`selectEngine: ${from} '${value}' is not an engine${didYouMean(value, ENGINE_NAMES)}`);
}

/**
 * Chooses the engine that trains and installs its kernels; call it before building models.
 * Policy: `options.engine`, else `$GENDICE_ENGINE`, else the first usable registered engine in
 * `defaultEngineOrder()` (Node: `native` when the oneDNN addon loads, else `wasm`; browsers: `webgpu`,
 * `webgl`, then `cpu`). Forcing an engine that cannot run throws and names the cause; the automatic
 * choice never throws while `cpu` is there. Prints one line (stderr in Node, console.info elsewhere)
 * saying which engine and why, unless `quiet`. Idempotent: the same request again changes nothing and
 * prints nothing; a different request switches engines (tensors created on the previous backend stay
 * there). Also turns on TF.js's production mode, which silences its "Hi there" console banner.
 */
export async function selectEngine(options: SelectEngineOptions = {}): Promise<EngineInfo> {
  const env = nodeProcess()?.env;
  const envValue = env?.[ENGINE_ENV];
  const forced = options.engine !== undefined
    ? parseEngine(options.engine, 'option engine')
    : envValue !== undefined && envValue !== ''
      ? parseEngine(envValue, `${ENGINE_ENV}`)
      : undefined;
  const key = [forced ?? 'auto', ...[...providers.values()].map((p) => p.requestKey?.(options) ?? '')].join('|');
  if (current !== undefined && current.key === key) return engineInfo();

  tf.enableProdMode();
  resetEngine();
  let engine: EngineName | undefined;
  let reason = '';
  let addon: AddonStatus | undefined;
  let dnnlVersion: string | undefined;
  if (forced !== undefined) {
    const provider = providers.get(forced);
    if (provider === undefined) {
      throw new Error(`selectEngine: engine '${forced}' is not available in this entry (registered: ${registeredEngines().join(', ')}); import 'gendice/node' for native and wasm`);
    }
    const result = await provider.activate(options);
    if (!result.ok) throw new Error(`selectEngine: engine '${forced}' was forced but the ${result.missing} did not load: ${result.reason}`);
    engine = forced;
    reason = `${options.engine !== undefined ? 'requested' : `${ENGINE_ENV}=${forced}`}: ${result.what}`;
    ({ addon, dnnlVersion } = result);
  } else {
    const failures: string[] = [];
    for (const name of defaultEngineOrder()) {
      const provider = providers.get(name);
      if (provider === undefined) continue;
      const result = await provider.activate(options);
      addon ??= result.addon;
      if (!result.ok) {
        failures.push(`${result.missing} unavailable (${result.reason})`);
        continue;
      }
      engine = name;
      dnnlVersion = result.dnnlVersion;
      reason = failures.length === 0 ? `${result.autoWhy ?? 'first usable engine'}: ${result.what}` : `${failures.join('; ')}: falling back to ${name}: ${result.what}`;
      break;
    }
    if (engine === undefined) throw new Error(`selectEngine: no engine could start: ${failures.join('; ')}`);
  }
  await tf.ready();
  current = { engine, reason, addon, dnnlVersion, key };
  if (options.quiet !== true) {
    const line = `gendice engine: ${engine} (${reason})`;
    const stderr = nodeProcess()?.stderr;
    if (stderr !== undefined) stderr.write(`${line}\n`);
    else console.info(line);
  }
  return engineInfo();
}

/** The active engine, why it was chosen, and the kernels it replaced. */
export function engineInfo(): EngineInfo {
  return {
    engine: current?.engine,
    backend: current !== undefined ? tf.getBackend() : 'none',
    reason: current?.reason ?? 'selectEngine() has not been called',
    dnnlVersion: current?.dnnlVersion,
    addon: current?.addon,
    replacedKernels: replacedKernels(),
  };
}

/**
 * Puts TF.js's own kernels back and forgets the selection (the backend stays as it is).
 * For tests and benchmarks that compare engines in one process.
 */
export function resetEngine(): void {
  restoreKernels();
  uninstallOutputPool();
  setNativeOptimizerUpdate(undefined);
  setNativeValueScan(undefined);
  setNativeWindowBlend(undefined);
  current = undefined;
}
