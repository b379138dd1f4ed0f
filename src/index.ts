/** gendice: the public library API, one re-export per layer. */
export { version } from './node/version.js';
export * from './common/index.js';
export * from './losses/index.js';
export * from './metrics/index.js';
export * from './networks/index.js';
export * from './data/index.js';
export * from './engine/index.js';
export * from './inference/index.js';
export * from './training/index.js';
export * from './study/index.js';
