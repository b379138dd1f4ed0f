#!/usr/bin/env node
// `npm run bench -- <name> [--json] [args...]` runs bench/<name>.ts with tsx.
// Convention: a table on stdout by default; with --json exactly one JSON document
// {"bench": "<name>", "rows": [{"name": ..., <numbers>}]} on stdout and nothing else there.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [name, ...rest] = process.argv.slice(2);
const available = readdirSync(join(root, 'bench')).filter((f) => f.endsWith('.ts') && !f.startsWith('_')).map((f) => f.slice(0, -3));
if (!name || !available.includes(name)) {
  console.error(`bench: ${name ? `unknown benchmark '${name}'` : 'no benchmark named'}; available: ${available.join(', ')}`);
  process.exit(2);
}
const file = join(root, 'bench', `${name}.ts`);
if (!existsSync(file)) process.exit(2);
const tsx = join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const r = spawnSync(process.execPath, [tsx, file, ...rest], { stdio: 'inherit' });
process.exit(r.status ?? 1);
