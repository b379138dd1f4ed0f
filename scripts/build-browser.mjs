#!/usr/bin/env node
// Bundles src/browser.ts (the universal API, TF.js with its cpu, WebGL and WebGPU backends) into one ES
// module, dist/browser/gendice.js, for browsers. Fails when anything in it would import a Node built-in.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { browserBuildOptions } from './browserBuildOptions.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** GENDICE_BROWSER_OUT writes the bundle elsewhere (the bundle test builds into a temporary folder). */
const out = process.env.GENDICE_BROWSER_OUT ?? join(root, 'dist', 'browser', 'gendice.js');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

const result = await build({
  entryPoints: [join(root, 'src', 'browser.ts')],
  ...browserBuildOptions,
  banner: { js: `/* gendice ${version} browser build: the universal API and TF.js 4.22 (Apache-2.0). */` },
  write: false,
  logLevel: 'warning',
});
const code = result.outputFiles[0].text;
const nodeImport = /\b(?:from|import)\s*\(?\s*["'](node:[^"']+)["']/.exec(code);
if (nodeImport) {
  process.stderr.write(`build-browser: the bundle imports the Node built-in '${nodeImport[1]}'\n`);
  process.exit(1);
}
mkdirSync(dirname(out), { recursive: true });
const tmp = `${out}.${process.pid}.tmp`;
writeFileSync(tmp, code);
renameSync(tmp, out);
process.stderr.write(`build-browser: ${out} (${(code.length / 1e6).toFixed(2)} MB)\n`);
