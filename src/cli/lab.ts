import { readdirSync, readFileSync, statSync, copyFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError, type Command } from 'commander';
import { formatValue } from '../common/options.js';
import { writeFolderAtomic } from '../common/node/atomicWrite.js';
import { numberFlag } from './flagParsers.js';
import { log, printResult } from './output.js';

/** The files of a lab build (scripts/build-lab.mjs). */
export const LAB_FILES = ['index.html', 'lab.js'] as const;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The built lab page: `$GENDICE_LAB_DIR`, else dist/lab of this package (src/cli and dist/cli are both two
 * folders below the package root, so this holds from the sources and from the build).
 */
export function labAssetsDir(): string {
  return process.env.GENDICE_LAB_DIR ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'lab');
}

/** The lab's files, read once; a missing build is named with the command that makes it. */
export function readLabFiles(dir: string): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  for (const name of LAB_FILES) {
    try {
      files.set(name, readFileSync(join(dir, name)));
    } catch {
      throw new Error(`gendice lab: the lab page is not built (${join(dir, name)} is missing); run 'npm run build'`);
    }
  }
  return files;
}

/**
 * Serves the lab's files (and nothing else: the set is fixed when the server starts, so no path can
 * leave the folder) with GET and HEAD; `/` is index.html.
 */
export async function serveLab(files: Map<string, Uint8Array>, host: string, port: number): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const path = new URL(req.url ?? '/', 'http://lab').pathname;
    const name = path === '/' ? 'index.html' : path.slice(1);
    const body = files.get(name);
    if (body === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(`not found: ${path}\n`);
      return;
    }
    res.writeHead(200, { 'content-type': CONTENT_TYPES[extname(name)] ?? 'application/octet-stream', 'content-length': body.length, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      fail(new Error(err.code === 'EADDRINUSE' ? `gendice lab: --port ${port} is in use on ${host}` : `gendice lab: cannot listen on ${host}:${port}: ${err.message}`)),
    );
    server.listen(port, host, ok);
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { server, url: `http://${shown}:${address.port}/` };
}

/** Copies the lab's files into `dir` as a unit; refuses a folder that holds anything else. */
export async function buildLabFolder(files: Map<string, Uint8Array>, source: string, dir: string): Promise<void> {
  let entries: string[] | undefined;
  try {
    if (!statSync(dir).isDirectory()) throw new Error(`gendice lab: --build ${formatValue(dir)} is a file, not a folder`);
    entries = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const foreign = entries?.filter((e) => !(LAB_FILES as readonly string[]).includes(e)) ?? [];
  if (foreign.length > 0) {
    throw new Error(`gendice lab: --build ${formatValue(dir)} holds files that are not the lab's (${foreign.slice(0, 3).map((f) => formatValue(f)).join(', ')}${foreign.length > 3 ? ', ...' : ''}); choose a new or empty folder`);
  }
  await writeFolderAtomic(resolve(dir), (tmp) => {
    for (const name of files.keys()) copyFileSync(join(source, name), join(tmp, name));
  });
}

/** `--host`: an IP address or 'localhost'. */
function hostFlag(value: string): string {
  if (value === 'localhost' || isIP(value) !== 0) return value;
  throw new InvalidArgumentError(`must be an IP address (127.0.0.1, ::1, 0.0.0.0) or 'localhost'; got ${formatValue(value)}`);
}

interface LabFlags {
  port?: number;
  host?: string;
  build?: string;
  json?: boolean;
}

/**
 * Registers `gendice lab [--port N] [--host H]` (serves the lab page until interrupted; port 0 picks a free
 * one, the URL is printed on stdout) and `gendice lab --build DIR` (writes the page's folder for any static host).
 */
export function registerLabCommand(program: Command): void {
  program
    .command('lab')
    .description('a web page that trains two losses side by side on unbalanced 2D phantoms in the browser; served on 127.0.0.1, or written to a folder with --build')
    .option('--port <n>', 'port to listen on (0: a free one; default 8017)', numberFlag({ integer: true, min: 0, max: 65535 }))
    .option('--host <address>', 'address to listen on (default 127.0.0.1: this machine only)', hostFlag)
    .option('--build <dir>', 'write the page (index.html, lab.js) to DIR for a static host instead of serving it')
    .option('--json', 'print one JSON document ({url} or {folder, files}) on stdout')
    .action(async (flags: LabFlags) => {
      if (flags.build !== undefined && (flags.port !== undefined || flags.host !== undefined)) {
        throw new Error(`gendice lab: --build writes a folder and serves nothing; drop ${flags.port !== undefined ? '--port' : '--host'}`);
      }
      const source = labAssetsDir();
      const files = readLabFiles(source);
      if (flags.build !== undefined) {
        await buildLabFolder(files, source, flags.build);
        const folder = resolve(flags.build);
        printResult(flags.json, { folder, files: [...files.keys()] }, `lab page: ${folder} (${[...files.keys()].join(', ')}); serve the folder with any static web server`);
        return;
      }
      const host = flags.host ?? '127.0.0.1';
      const { server, url } = await serveLab(files, host, flags.port ?? 8017);
      printResult(flags.json, { url }, `gendice lab: ${url}`);
      if (isIP(host) !== 0 && !['127.0.0.1', '::1'].includes(host)) log(`gendice lab: listening on ${host}, reachable from other machines`);
      log('gendice lab: press Ctrl-C to stop');
      await new Promise<void>((done) => {
        const stop = (): void => {
          server.close(() => done());
          server.closeAllConnections();
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
