import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The rules of docs/architecture.md that imports can show: a universal file (any src/ file not under a
// node/ folder, not under src/cli/, not src/node.ts) imports no Node built-in, no Node-only package and
// no Node-only file; and nothing the universal entries (src/index.ts, src/browser.ts) load at run time
// does. Type-only imports are erased by TypeScript and not counted.

const ROOT = resolve(import.meta.dirname, '..');

/**
 * Universal by path, Node-only today: each still mixes a universal part with file access and waits to be
 * split (the universal part staying here, the files going to a node/ folder). The universal entries do not
 * load them (rule 2), and each entry must still need its exemption (a stale entry fails), so this set can
 * only shrink.
 */
const PENDING_NODE_ONLY = new Set<string>([]);

/** Packages that only run in Node. */
const NODE_ONLY_PACKAGES = ['@resvg/resvg-js', 'bullmq', 'ioredis', 'commander', 'node-addon-api'];

const BUILTINS = new Set(builtinModules.flatMap((m) => [m, m.split('/')[0]!]));

export function isNodeOnlyPath(file: string): boolean {
  return /(^|\/)node\//.test(file.replace(/^src\//, '')) || file.startsWith('src/cli/') || file === 'src/node.ts';
}

function isNodeOnlySpecifier(spec: string): boolean {
  if (spec.startsWith('node:') || BUILTINS.has(spec) || BUILTINS.has(spec.split('/')[0]!)) return true;
  return NODE_ONLY_PACKAGES.some((p) => spec === p || spec.startsWith(`${p}/`));
}

/** The run-time import specifiers of a module's source (static, re-exports, side-effect, dynamic). */
export function runtimeImports(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const specs: string[] = [];
  const statement = /^\s*(import|export)\s+(type\s+)?([^'";]*?\bfrom\s*)?['"]([^'"]+)['"]/gm;
  for (const m of code.matchAll(statement)) {
    if (m[2] === undefined && (m[1] === 'import' || m[3] !== undefined)) specs.push(m[4]!);
  }
  for (const m of code.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) specs.push(m[1]!);
  return specs;
}

/** The rule-1 violations of one file: Node built-ins, Node-only packages, Node-only files it imports. */
export function violations(file: string, source: string): string[] {
  const out: string[] = [];
  for (const spec of runtimeImports(source)) {
    if (isNodeOnlySpecifier(spec)) out.push(`${file} imports '${spec}'`);
    else if (spec.startsWith('.')) {
      const target = relative(ROOT, resolve(ROOT, dirname(file), spec)).replace(/\.js$/, '.ts');
      if (isNodeOnlyPath(target)) out.push(`${file} imports the Node-only file ${target}`);
    }
  }
  return out;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const rel = `${dir}/${name}`;
    if (statSync(join(ROOT, rel)).isDirectory()) return sourceFiles(rel);
    return rel.endsWith('.ts') ? [rel] : [];
  });
}

const files = sourceFiles('src');
const read = (file: string): string => readFileSync(join(ROOT, file), 'utf8');

describe('architecture: universal and Node-only files', () => {
  it('the checker catches a built-in, a Node-only package and a Node-only file, and ignores type-only imports', () => {
    expect(violations('src/losses/x.ts', "import { readFileSync } from 'node:fs';")).toEqual(["src/losses/x.ts imports 'node:fs'"]);
    expect(violations('src/losses/x.ts', "import * as path from 'path';\nexport { a } from 'worker_threads';")).toHaveLength(2);
    expect(violations('src/study/x.ts', "const { Resvg } = await import('@resvg/resvg-js');")).toHaveLength(1);
    expect(violations('src/data/x.ts', "import { loadCase } from './node/dataset.js';")).toEqual(['src/data/x.ts imports the Node-only file src/data/node/dataset.ts']);
    expect(violations('src/data/x.ts', "import type { LoadedCase } from './node/dataset.js';\nimport * as tf from '@tensorflow/tfjs';")).toEqual([]);
    expect(isNodeOnlyPath('src/engine/node/addon.ts') && isNodeOnlyPath('src/cli/main.ts') && isNodeOnlyPath('src/node.ts')).toBe(true);
    expect(isNodeOnlyPath('src/engine/select.ts')).toBe(false);
  });

  it('no universal file imports a Node built-in, a Node-only package or a Node-only file (except PENDING_NODE_ONLY)', () => {
    const found = files.filter((f) => !isNodeOnlyPath(f) && !PENDING_NODE_ONLY.has(f)).flatMap((f) => violations(f, read(f)));
    expect(found).toEqual([]);
  });

  it('every PENDING_NODE_ONLY file exists and still needs its exemption', () => {
    for (const f of PENDING_NODE_ONLY) {
      expect(files, `${f} no longer exists: remove it from PENDING_NODE_ONLY`).toContain(f);
      expect(violations(f, read(f)).length, `${f} imports nothing Node-only any more: remove it from PENDING_NODE_ONLY`).toBeGreaterThan(0);
    }
  });

  it.each(['src/index.ts', 'src/browser.ts'])('nothing %s loads at run time is Node-only or pending', (entry) => {
    const seen = new Set<string>();
    const problems: string[] = [];
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      if (isNodeOnlyPath(file) || PENDING_NODE_ONLY.has(file)) problems.push(`${file} is Node-only`);
      problems.push(...violations(file, read(file)));
      for (const spec of runtimeImports(read(file))) {
        if (spec.startsWith('.')) visit(relative(ROOT, resolve(ROOT, dirname(file), spec)).replace(/\.js$/, '.ts'));
      }
    };
    visit(entry);
    expect(seen.size).toBeGreaterThan(60);
    expect(problems).toEqual([]);
  });
});
