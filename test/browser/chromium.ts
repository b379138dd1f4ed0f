import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium (scripts/setup-system.sh installs it); browser tests skip when it is absent. */
export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);

/** Headless Chromium with WebGL2 and float textures through SwiftShader (software), no outside traffic. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--headless=new',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Bundles a browser entry (TypeScript, its imports resolved from node_modules) into one ES module. */
export async function bundle(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

/** A page in Chromium that loaded `script` (an ES module) from a server on 127.0.0.1, and what it requested. */
export interface BrowserPage {
  page: Page;
  /** Every URL the page requested. */
  requests: string[];
  /** Uncaught errors and console errors of the page. */
  errors: string[];
  origin: string;
  close(): Promise<void>;
}

/** Serves `files` (path → body) from 127.0.0.1 on a free port. */
export async function serve(files: Record<string, { body: string | Uint8Array; type: string }>): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    const file = files[(req.url ?? '/').split('?')[0]!];
    if (file === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store' }).end(file.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

let shared: Promise<Browser> | undefined;

/** One Chromium per test file (vitest runs files in separate processes). */
export function launchChromium(): Promise<Browser> {
  shared ??= chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  return shared;
}

/**
 * Opens a page that imports `script` as a module and waits until the module set `globalThis.gendiceReady`.
 * The module puts what tests call on `globalThis` (run them with `page.evaluate`).
 */
export async function openModulePage(script: string): Promise<BrowserPage> {
  const html = '<!doctype html><meta charset="utf-8"><title>gendice test</title><script type="module" src="/test.js"></script>';
  const { server, origin } = await serve({
    '/': { body: html, type: 'text/html' },
    '/test.js': { body: script, type: 'text/javascript' },
  });
  const browser = await launchChromium();
  const page = await browser.newPage();
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (process.env.GENDICE_BROWSER_CONSOLE) process.stderr.write(`[${m.type()}] ${m.text().slice(0, 4000)}\n`);
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(`${origin}/`, { waitUntil: 'load' });
  await page.waitForFunction(() => (globalThis as { gendiceReady?: boolean }).gendiceReady === true || (globalThis as { gendiceError?: string }).gendiceError !== undefined, undefined, { timeout: 60_000 });
  const failure = await page.evaluate(() => (globalThis as { gendiceError?: string }).gendiceError);
  if (failure !== undefined) throw new Error(`browser test page: ${failure}`);
  return {
    page,
    requests,
    errors,
    origin,
    close: async () => {
      await page.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
