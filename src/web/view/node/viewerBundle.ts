import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** The package root: four folders up from src/web/view/node/ and from dist/web/view/node/ alike. */
const root = join(here, '..', '..', '..', '..');

/** Where `npm run build` writes the viewer's script (niivue and `viewer.ts`, one ES module). */
export const VIEWER_BUNDLE = join(root, 'dist', 'browser', 'gendice-view.js');

/**
 * Bundles the viewer page's script with esbuild (a development dependency): `viewer.ts` beside this
 * folder in a checkout, `viewer.js` in a build. Everything, niivue included, goes into one module, so
 * the page requests nothing but its own origin.
 */
export async function bundleViewer(): Promise<string> {
  const entry = [join(here, '..', 'viewer.ts'), join(here, '..', 'viewer.js')].find((f) => existsSync(f));
  if (entry === undefined) throw new Error(`bundleViewer: no viewer.ts or viewer.js in ${join(here, '..')}`);
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch {
    throw new Error(`bundleViewer: esbuild is not installed; the viewer's script ${VIEWER_BUNDLE} is written by 'npm run build'`);
  }
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'eof',
    write: false,
    logLevel: 'warning',
  });
  return result.outputFiles[0]!.text;
}

/**
 * The viewer's script: bundled now when gendice runs from its TypeScript sources (a checkout, so the
 * page never lags behind an edit), else the built bundle, or bundled now when the build has none.
 */
export async function viewerScript(): Promise<string> {
  const fromSources = import.meta.url.endsWith('.ts');
  return !fromSources && existsSync(VIEWER_BUNDLE) ? readFileSync(VIEWER_BUNDLE, 'utf8') : bundleViewer();
}
