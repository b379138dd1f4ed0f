/** gendice: the public library API. Each layer re-exports its public symbols here. */
export { version } from './version.js';
export * from './common/index.js';
