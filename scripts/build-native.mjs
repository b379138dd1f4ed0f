#!/usr/bin/env node
// Builds the optional oneDNN addon (native/). Never fails the install: gendice falls back to
// pure-JS/wasm kernels when the addon is missing. Filled in by the engine work.
process.stderr.write('gendice: native addon not built (no native sources yet); the engine falls back to JS/wasm kernels\n');
