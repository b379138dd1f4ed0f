/** The engine under Node: the universal engine API with the `native` and `wasm` engines registered. */
import { registerNodeEngines } from './providers.js';

registerNodeEngines();

export * from '../index.js';
export { loadAddon, defaultAddonPath, ADDON_PATH_ENV } from './addon.js';
export type { AddonLoad } from './addon.js';
export { nativeProvider, wasmProvider, registerNodeEngines } from './providers.js';
