import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeAddon } from '../nativeAddon.js';

export type { NativeAddon, NativeMemoryKernels } from '../nativeAddon.js';
export { memoryKernels } from '../nativeAddon.js';


/**
 * The OpenMP wait policy set before the addon (and with it libdnnl's libgomp) is loaded, unless the
 * user set one. libgomp's default spins after each parallel region: on a 2-core machine the spinning
 * thread takes the core from Node's JS thread, and when another process is running, oneDNN's barriers
 * wait for descheduled spinners (docs/engine.md, OpenMP, has the measurements).
 */
export const OMP_WAIT_POLICY_DEFAULT = 'passive';

/** The result of trying to load the addon: the module, or why it could not be loaded. */
export type AddonLoad = { ok: true; addon: NativeAddon; path: string } | { ok: false; path: string; reason: string };

/** The environment variable that points the loader at another addon file (tests use a missing one). */
export const ADDON_PATH_ENV = 'GENDICE_NATIVE_ADDON';

/** Where the addon is looked for: `native/build/Release/gendice_dnnl.node` at the package root. */
export function defaultAddonPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  // src/engine or dist/engine: walk up to the folder that holds native/.
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, 'native', 'binding.gyp')) || existsSync(join(dir, 'package.json'))) break;
    dir = dirname(dir);
  }
  return join(dir, 'native', 'build', 'Release', 'gendice_dnnl.node');
}

const cache = new Map<string, AddonLoad>();

/**
 * Loads the addon from `path` (default: `$GENDICE_NATIVE_ADDON`, else `defaultAddonPath()`); never throws.
 * The result is cached per path: a native module cannot be unloaded anyway.
 */
export function loadAddon(path?: string): AddonLoad {
  const file = resolve(path ?? process.env[ADDON_PATH_ENV] ?? defaultAddonPath());
  const cached = cache.get(file);
  if (cached !== undefined) return cached;
  let result: AddonLoad;
  if (!existsSync(file)) {
    result = { ok: false, path: file, reason: `addon not found at ${file} (build it with 'npm run build:native')` };
  } else {
    try {
      if (process.env.OMP_WAIT_POLICY === undefined) process.env.OMP_WAIT_POLICY = OMP_WAIT_POLICY_DEFAULT;
      const require = createRequire(import.meta.url);
      const mod = require(file) as Partial<NativeAddon>;
      if (typeof mod.conv !== 'function' || typeof mod.dnnlVersion !== 'function') {
        result = { ok: false, path: file, reason: `${file} is not the gendice oneDNN addon` };
      } else {
        result = { ok: true, addon: mod as NativeAddon, path: file };
      }
    } catch (err) {
      const message = err instanceof Error ? err.message.split('\n')[0] ?? '' : String(err);
      result = { ok: false, path: file, reason: `addon failed to load: ${message}` };
    }
  }
  cache.set(file, result);
  return result;
}
