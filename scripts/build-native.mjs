#!/usr/bin/env node
// Builds the optional oneDNN addon (native/ -> native/build/Release/gendice_dnnl.node) with the
// node-gyp from node_modules, offline, against the headers Debian's Node ships (--nodedir=/usr).
// Never fails the install: when libdnnl, the compiler or the headers are missing, it says so in one
// line on stderr and exits 0, and gendice's engine falls back to its wasm kernels.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const say = (m) => process.stderr.write(`gendice: ${m}\n`);
const skip = (why) => {
  say(`native addon not built (${why}); the engine will use the wasm fallback`);
  process.exit(0);
};

const nodeGyp = join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
if (!existsSync(join(root, 'native', 'binding.gyp'))) skip('no native/binding.gyp');
if (!existsSync(nodeGyp)) skip('node-gyp is not installed in node_modules');
const dnnlHeader = ['/usr/include/oneapi/dnnl/dnnl.hpp', '/usr/local/include/oneapi/dnnl/dnnl.hpp'].find((p) => existsSync(p));
if (!dnnlHeader) skip('oneDNN headers not found: apt-get install -y libdnnl-dev');
const hasTool = (cmd) => spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
for (const tool of ['g++', 'make', 'python3']) if (!hasTool(tool)) skip(`${tool} not found`);
const nodedir = process.env.GENDICE_NODEDIR ?? '/usr';
if (!existsSync(join(nodedir, 'include', 'node', 'node_api.h'))) skip(`Node headers not found under ${nodedir}/include/node`);

const t0 = Date.now();
const r = spawnSync(process.execPath, [nodeGyp, 'rebuild', `--nodedir=${nodedir}`, '-C', join(root, 'native')], {
  stdio: ['ignore', 'pipe', 'pipe'],
  encoding: 'utf8',
  env: { ...process.env, npm_config_offline: 'true' },
});
if (r.status !== 0) {
  const tail = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
  process.stderr.write(`${tail}\n`);
  skip(`node-gyp rebuild failed with exit code ${r.status}`);
}
say(`native addon built in ${((Date.now() - t0) / 1000).toFixed(1)} s: native/build/Release/gendice_dnnl.node`);
