#!/usr/bin/env node
// Builds the page of `gendice lab` into dist/lab/: index.html and lab.js (src/web/lab/lab.ts bundled with
// the universal API and TF.js). The folder is self-contained: it loads nothing outside its own origin.
import { copyFileSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { browserBuildOptions } from './browserBuildOptions.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** GENDICE_LAB_OUT writes the folder elsewhere (the lab tests build into a temporary folder). */
const out = process.env.GENDICE_LAB_OUT ?? join(root, 'dist', 'lab');
const tmp = `${out}.${process.pid}.tmp`;
rmSync(tmp, { recursive: true, force: true });
mkdirSync(tmp, { recursive: true });
const result = await build({
  entryPoints: [join(root, 'src', 'web', 'lab', 'lab.ts')],
  ...browserBuildOptions,
  outfile: join(tmp, 'lab.js'),
  logLevel: 'warning',
  metafile: true,
});
const nodeImport = Object.values(result.metafile.outputs).flatMap((o) => o.imports).find((i) => i.path.startsWith('node:') || i.external);
if (nodeImport) {
  process.stderr.write(`build-lab: the page imports '${nodeImport.path}'\n`);
  process.exit(1);
}
copyFileSync(join(root, 'src', 'web', 'lab', 'index.html'), join(tmp, 'index.html'));
rmSync(out, { recursive: true, force: true });
mkdirSync(dirname(out), { recursive: true });
renameSync(tmp, out);
process.stderr.write(`build-lab: ${out}\n`);
