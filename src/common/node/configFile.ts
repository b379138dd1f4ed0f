import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';

function describeValue(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/**
 * Validates `raw` against a zod schema. On failure the error lists every wrong field as
 * `path: problem (got value)`, after `<source>: invalid <what>`.
 */
export function parseWithSchema<S extends z.ZodType>(schema: S, raw: unknown, source: string, what: string): z.infer<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const path = issue.path.length ? issue.path.map(String).join('.') : '(root)';
    const got = issue.code === 'unrecognized_keys' ? '' : ` (got ${describeValue(valueAt(raw, issue.path))})`;
    return `  ${path}: ${issue.message}${got}`;
  });
  throw new Error(`${source}: invalid ${what}\n${lines.join('\n')}`);
}

/** Reads a JSON or YAML (.yml, .yaml) file into a plain value; errors name the file. */
export function readJsonOrYaml(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`${path}: cannot read the configuration (${err instanceof Error ? err.message : String(err)})`);
  }
  const yaml = /\.ya?ml$/i.test(extname(path));
  try {
    return yaml ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw new Error(`${path}: not valid ${yaml ? 'YAML' : 'JSON'} (${err instanceof Error ? err.message : String(err)})`);
  }
}
