import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { threadId } from 'node:worker_threads';

/**
 * Durable writes: a file (or a folder written as a unit) is built under a temporary name in the same
 * folder, flushed to the disk (fsync), renamed onto its final name, and the folder holding it is
 * flushed, so that neither a crash nor a power loss leaves a half-written or empty file under the final
 * name. The temporary names are dot names that `removeWriteLeftovers` recognises and removes.
 */

/**
 * Temporary names of killed writes: `.name.PID-THREAD.N.tmp` (files), `.tmp-name-PID-THREAD` and
 * `.old-name-PID-THREAD` (folders); the thread keeps the names of a study's worker threads apart. Older
 * gendice wrote `.name.PID.TIME.tmp` and `.tmp-iter-N-PID`: recognised too.
 */
const LEFTOVER = /^\.(?:.+\.\d+(?:-\d+)?\.\d+\.tmp|tmp-.+-\d+|old-.+-\d+-\d+)$/;
const ASIDE = /^\.old-(.+)-\d+-\d+$/;
const writer = `${process.pid}-${threadId}`;

let counter = 0;

/** Flushes a folder's entries (names created, renamed or removed in it) to the disk. */
export function syncFolder(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch (err) {
    // Windows cannot open a folder for syncing; its renames are durable without it.
    if (process.platform === 'win32') return;
    throw err;
  }
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** `mkdir -p`, flushing the entry of the first folder it creates into that folder's parent. */
function makeFolder(dir: string): void {
  const first = mkdirSync(dir, { recursive: true });
  if (first !== undefined) syncFolder(dirname(first));
}

/** Flushes one file's data to the disk. */
function syncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes `data` to `path` durably: a temporary file in the same folder, fsync, rename, fsync of the
 * folder. A crash or power loss leaves either the old file or the new one, never a torn or empty one.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const dir = dirname(path);
  makeFolder(dir);
  const tmp = join(dir, `.${basename(path)}.${writer}.${counter++}.tmp`);
  try {
    const fd = openSync(tmp, 'w');
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      let written = 0;
      while (written < bytes.byteLength) written += writeSync(fd, bytes, written, bytes.byteLength - written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  syncFolder(dir);
}

/**
 * Writes the folder `dir` as a unit: `build` fills a temporary sibling folder, every file in it and the
 * folder itself are fsynced, and it replaces `dir` (an existing `dir` is first renamed aside, then
 * removed), and the parent folder is fsynced. A crash leaves the old folder, the new one, or (between the
 * two renames) the old one under its aside name, which `removeWriteLeftovers` puts back: never a partial `dir`.
 */
export async function writeFolderAtomic(dir: string, build: (tmpDir: string) => Promise<void> | void): Promise<void> {
  const parent = dirname(dir);
  const name = basename(dir);
  makeFolder(parent);
  const tmp = join(parent, `.tmp-${name}-${writer}`);
  const old = join(parent, `.old-${name}-${writer}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  try {
    await build(tmp);
    for (const entry of readdirSync(tmp, { withFileTypes: true })) if (entry.isFile()) syncFile(join(tmp, entry.name));
    syncFolder(tmp);
    rmSync(old, { recursive: true, force: true });
    let replaced = false;
    try {
      renameSync(dir, old);
      replaced = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    renameSync(tmp, dir);
    syncFolder(parent);
    if (replaced) rmSync(old, { recursive: true, force: true });
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Removes what killed writes left in `dir` (not recursively): temporary files of `writeFileAtomic` and
 * temporary folders of `writeFolderAtomic`; an aside folder (`.old-name-PID-THREAD`) whose `name` is missing is
 * renamed back to `name` (the write was killed between its two renames), otherwise removed. Call it when
 * a folder with a single writer (a training run) is opened; returns the leftover names found.
 */
export function removeWriteLeftovers(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const leftovers = names.filter((n) => LEFTOVER.test(n));
  for (const n of leftovers) {
    const aside = ASIDE.exec(n);
    if (aside !== null && !names.includes(aside[1]!)) renameSync(join(dir, n), join(dir, aside[1]!));
    else rmSync(join(dir, n), { recursive: true, force: true });
  }
  if (leftovers.length > 0) syncFolder(dir);
  return leftovers;
}
