#!/usr/bin/env node
// Writes the `gendice view` page's script (niivue and src/web/view/viewer.ts, one ES module) to
// dist/browser/gendice-view.js, with the bundler of dist/web/view/node/viewerBundle.js (run after tsc).
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const { bundleViewer, VIEWER_BUNDLE } = await import('../dist/web/view/node/viewerBundle.js');
const code = await bundleViewer();
mkdirSync(dirname(VIEWER_BUNDLE), { recursive: true });
const tmp = `${VIEWER_BUNDLE}.${process.pid}.tmp`;
writeFileSync(tmp, code);
renameSync(tmp, VIEWER_BUNDLE);
process.stderr.write(`build-view: ${VIEWER_BUNDLE} (${(code.length / 1e6).toFixed(2)} MB)\n`);
