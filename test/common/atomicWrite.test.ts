import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';

/** Every fs call of the module under test that orders durability: opens, writes, fsyncs, renames. */
const calls: string[] = [];
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const fds = new Map<number, string>();
  const name = (p: unknown): string => String(p).split('/').pop()!;
  return {
    ...real,
    openSync: (path: fs.PathLike, flags: fs.OpenMode) => {
      const fd = real.openSync(path, flags);
      fds.set(fd, name(path));
      return fd;
    },
    writeSync: (fd: number, ...rest: unknown[]) => {
      calls.push(`write ${fds.get(fd)}`);
      return (real.writeSync as (...a: unknown[]) => number)(fd, ...rest);
    },
    fsyncSync: (fd: number) => {
      calls.push(`fsync ${fds.get(fd)}`);
      real.fsyncSync(fd);
    },
    renameSync: (from: fs.PathLike, to: fs.PathLike) => {
      calls.push(`rename ${name(from)} -> ${name(to)}`);
      real.renameSync(from, to);
    },
  };
});

const { removeWriteLeftovers, writeFileAtomic, writeFolderAtomic } = await import('../../src/common/atomicWrite.js');

const root = fs.mkdtempSync(join(tmpdir(), 'gendice-atomic-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
beforeEach(() => {
  calls.length = 0;
});

describe('writeFileAtomic', () => {
  it('writes a temporary file, fsyncs it, renames it, then fsyncs the folder', () => {
    const dir = join(root, 'file');
    fs.mkdirSync(dir);
    writeFileAtomic(join(dir, 'a.json'), '{"a":1}');
    expect(fs.readFileSync(join(dir, 'a.json'), 'utf8')).toBe('{"a":1}');
    const tmp = calls[0]!.slice('write '.length);
    expect(tmp).toMatch(/^\.a\.json\.\d+-\d+\.\d+\.tmp$/);
    expect(calls).toEqual([`write ${tmp}`, `fsync ${tmp}`, `rename ${tmp} -> a.json`, 'fsync file']);
    expect(fs.readdirSync(dir)).toEqual(['a.json']);
  });

  it('fsyncs the parent of a folder it had to create', () => {
    writeFileAtomic(join(root, 'new', 'b.bin'), new Uint8Array([1, 2, 3]));
    expect(calls.filter((c) => c.startsWith('fsync'))).toEqual([`fsync ${basename(root)}`, expect.stringMatching(/^fsync \.b\.bin\./), 'fsync new']);
  });
});

describe('writeFolderAtomic', () => {
  it('builds under a temporary name, fsyncs every file and the folder, renames, fsyncs the parent; replaces an old folder whole', async () => {
    const target = join(root, 'models', 'm');
    await writeFolderAtomic(target, (tmp) => fs.writeFileSync(join(tmp, 'x'), 'one'));
    calls.length = 0;
    await writeFolderAtomic(target, (tmp) => {
      fs.writeFileSync(join(tmp, 'y'), 'two');
      fs.writeFileSync(join(tmp, 'z'), 'three');
    });
    const tmp = `.tmp-m-${process.pid}-${threadId}`;
    expect(calls).toEqual(['fsync y', 'fsync z', `fsync ${tmp}`, `rename m -> .old-m-${process.pid}-${threadId}`, `rename ${tmp} -> m`, 'fsync models']);
    expect(fs.readdirSync(target).sort()).toEqual(['y', 'z']);
    expect(fs.readdirSync(join(root, 'models'))).toEqual(['m']);
  });

  it('leaves the old folder and no temporary one when the build fails', async () => {
    const target = join(root, 'models', 'm');
    await expect(writeFolderAtomic(target, () => Promise.reject(new Error('disk full')))).rejects.toThrow('disk full');
    expect(fs.readdirSync(join(root, 'models'))).toEqual(['m']);
    expect(fs.readdirSync(target).sort()).toEqual(['y', 'z']);
  });
});

describe('removeWriteLeftovers', () => {
  it('removes temporary files and folders, puts back an aside folder whose write was killed between its renames', () => {
    const dir = join(root, 'left');
    fs.mkdirSync(join(dir, '.tmp-iter-0000010-123-0'), { recursive: true });
    fs.mkdirSync(join(dir, '.old-model-123-0'));
    fs.writeFileSync(join(dir, '.old-model-123-0', 'weights.bin'), 'w');
    fs.mkdirSync(join(dir, 'checkpoint'));
    fs.mkdirSync(join(dir, '.old-checkpoint-9-1'));
    fs.writeFileSync(join(dir, '.log.jsonl.123-0.4.tmp'), '');
    // Names of an older gendice's killed writes.
    fs.writeFileSync(join(dir, '.config.json.77.1764626400000.tmp'), '');
    fs.mkdirSync(join(dir, '.tmp-iter-0000020-77'));
    fs.writeFileSync(join(dir, '.hidden'), 'kept');
    expect(removeWriteLeftovers(dir).sort()).toEqual(['.config.json.77.1764626400000.tmp', '.log.jsonl.123-0.4.tmp', '.old-checkpoint-9-1', '.old-model-123-0', '.tmp-iter-0000010-123-0', '.tmp-iter-0000020-77']);
    expect(fs.readdirSync(dir).sort()).toEqual(['.hidden', 'checkpoint', 'model']);
    expect(fs.readFileSync(join(dir, 'model', 'weights.bin'), 'utf8')).toBe('w');
    expect(removeWriteLeftovers(join(root, 'absent'))).toEqual([]);
  });
});
