import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename } from 'node:path';
import { readNifti } from '../../../data/node/niftiFiles.js';
import type { Volume } from '../../../data/volume.js';
import { overlaySliceIndex } from '../../../study/report/overlays.js';
import type { ViewConfig, ViewRole, ViewVolume } from '../viewConfig.js';
import { viewPageHtml } from '../viewPage.js';
import { viewerScript } from './viewerBundle.js';

/** The files `gendice view` shows: an image, and optionally its reference and a prediction. */
export interface ViewFiles {
  image: string;
  label?: string;
  pred?: string;
}

export interface ViewServerOptions {
  /** TCP port on 127.0.0.1 (default 0: a free one). */
  port?: number;
  /** The page's script (default `viewerScript()`: the built bundle, or bundled now). */
  script?: string;
}

export interface ViewServer {
  url: string;
  config: ViewConfig;
  server: Server;
  close(): Promise<void>;
}

/** Only the page's own origin: the page, its script, its config and the volumes (images as data/blob URLs for niivue's textures). */
const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self' data: blob:; worker-src 'self' blob:";

function extensionOf(path: string, flag: string): '.nii' | '.nii.gz' {
  if (/\.nii\.gz$/i.test(path)) return '.nii.gz';
  if (/\.nii$/i.test(path)) return '.nii';
  throw new Error(`gendice view: ${flag} '${path}' is not a .nii or .nii.gz file`);
}

/** The crosshair voxel: on the slice with the most reference voxels, their mean position in it. */
function focusOf(reference: Volume | undefined, prediction: Volume | undefined, like: Volume): [number, number, number] | null {
  const labels = reference ?? prediction;
  if (labels === undefined) return null;
  const [X, Y] = like.shape as [number, number];
  const k = overlaySliceIndex(labels, prediction ?? labels);
  let si = 0;
  let sj = 0;
  let n = 0;
  for (let j = 0; j < Y; j++) {
    for (let i = 0; i < X; i++) {
      if (labels.data[i + X * (j + Y * k)]! > 0) {
        si += i;
        sj += j;
        n++;
      }
    }
  }
  return n === 0 ? null : [Math.round(si / n), Math.round(sj / n), k];
}

/**
 * Serves the viewer page for `files` on 127.0.0.1: `/` (the page), `/view.js` (niivue and the page
 * script), `/view.json` (what to show) and `/volumes/<role>.nii[.gz]` (the files as they are on disk);
 * anything else is 404, and a Content-Security-Policy keeps the page on its own origin. The files are
 * read and checked first: each must be NIfTI, 2D or 3D, and the label maps on the image's grid.
 */
export async function startViewServer(files: ViewFiles, options: ViewServerOptions = {}): Promise<ViewServer> {
  const entries: Array<{ role: ViewRole; path: string; flag: string }> = [{ role: 'image', path: files.image, flag: '--image' }];
  if (files.label !== undefined) entries.push({ role: 'reference', path: files.label, flag: '--label' });
  if (files.pred !== undefined) entries.push({ role: 'prediction', path: files.pred, flag: '--pred' });
  const read = new Map<ViewRole, Volume>();
  const bodies = new Map<string, Uint8Array>();
  const volumes: ViewVolume[] = [];
  for (const e of entries) {
    const ext = extensionOf(e.path, e.flag);
    let volume: Volume;
    try {
      volume = await readNifti(e.path);
    } catch (err) {
      throw new Error(`gendice view: ${e.flag} '${e.path}': ${err instanceof Error ? err.message : String(err)}`);
    }
    if (volume.shape.length !== 2 && volume.shape.length !== 3) throw new Error(`gendice view: ${e.flag} '${e.path}' has shape [${volume.shape.join(', ')}]; 2D or 3D expected`);
    const image = read.get('image');
    if (image !== undefined && (volume.shape.length !== image.shape.length || volume.shape.some((s, i) => s !== image.shape[i]))) {
      throw new Error(`gendice view: ${e.flag} '${e.path}' has shape [${volume.shape.join(', ')}], the image [${image.shape.join(', ')}]`);
    }
    read.set(e.role, volume);
    const url = `/volumes/${e.role}${ext}`;
    bodies.set(url, readFileSync(e.path));
    volumes.push({ role: e.role, url, name: basename(e.path) });
  }
  const image = read.get('image')!;
  const config: ViewConfig = {
    volumes,
    dims: image.shape.length === 2 || image.shape[2] === 1 ? 2 : 3,
    focus: focusOf(read.get('reference'), read.get('prediction'), image),
  };
  const script = options.script ?? (await viewerScript());
  const routes = new Map<string, { body: string | Uint8Array; type: string }>([
    ['/', { body: viewPageHtml(config), type: 'text/html; charset=utf-8' }],
    ['/view.js', { body: script, type: 'text/javascript; charset=utf-8' }],
    ['/view.json', { body: JSON.stringify(config), type: 'application/json' }],
    ...[...bodies].map(([url, body]) => [url, { body, type: 'application/octet-stream' }] as const),
  ]);
  const server = createServer((req, res) => {
    const route = req.method === 'GET' ? routes.get((req.url ?? '/').split('?')[0]!) : undefined;
    if (route === undefined) {
      res.writeHead(req.method === 'GET' ? 404 : 405).end();
      return;
    }
    res.writeHead(200, { 'content-type': route.type, 'cache-control': 'no-store', 'content-security-policy': CONTENT_SECURITY_POLICY }).end(route.body);
  });
  const port = options.port ?? 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new Error(`gendice view: --port ${port} is in use on 127.0.0.1`) : err),
    );
    server.listen(port, '127.0.0.1', resolve);
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const close = (): Promise<void> =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return { url, config, server, close };
}
