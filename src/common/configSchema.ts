import type { z } from 'zod';
import { formatValue, nearMiss, OptionError, quoteList } from './options.js';

// Configuration objects checked against a zod schema and the layers' own checks, with errors that name
// every wrong field (universal: the files they come from are read in ./node/configFile.ts).

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/** The zod definition fields this file walks (zod 4's `_zod.def`). */
interface SchemaDef {
  type: string;
  shape?: Record<string, { _zod: { def: SchemaDef } }>;
  innerType?: { _zod: { def: SchemaDef } };
  element?: { _zod: { def: SchemaDef } };
  options?: Array<{ _zod: { def: SchemaDef } }>;
  /** A pipe's (z.preprocess) output schema. */
  out?: { _zod: { def: SchemaDef } };
}

/** The keys an object schema at `path` knows (the union of every branch of a union), for a near miss. */
function knownKeysAt(def: SchemaDef, path: readonly PropertyKey[]): string[] {
  if (def.innerType !== undefined) return knownKeysAt(def.innerType._zod.def, path);
  if (def.out !== undefined) return knownKeysAt(def.out._zod.def, path);
  if (def.options !== undefined) return [...new Set(def.options.flatMap((o) => knownKeysAt(o._zod.def, path)))];
  if (path.length === 0) return def.shape !== undefined ? Object.keys(def.shape) : [];
  const [head, ...rest] = path;
  if (def.element !== undefined) return knownKeysAt(def.element._zod.def, rest);
  const child = def.shape?.[String(head)];
  return child === undefined ? [] : knownKeysAt(child._zod.def, rest);
}

/**
 * Validates `raw` against a zod schema. On failure the error lists every wrong field as
 * `path: problem; got value`, after `<source>: invalid <what>` (enums as every option check words them:
 * `must be one of 'a', 'b'; got 'x' (did you mean 'a'?)`).
 */
export function parseWithSchema<S extends z.ZodType>(schema: S, raw: unknown, source: string, what: string): z.infer<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const path = issue.path.length ? issue.path.map(String).join('.') : '(root)';
    const value = valueAt(raw, issue.path);
    if (issue.code === 'invalid_value' && issue.values.every((v): v is string => typeof v === 'string')) {
      // An enum: the wording of every option check (src/common/options.ts), with the near miss.
      return `  ${path}: must be one of ${quoteList(issue.values)}; got ${formatValue(value)}${nearMiss(value, issue.values)}`;
    }
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeysAt((schema as unknown as { _zod: { def: SchemaDef } })._zod.def, issue.path);
      const prefix = issue.path.length ? `${path}.` : '';
      return issue.keys.map((key) => `  ${prefix}${key}: unknown key${nearMiss(key, known)}; known keys: ${known.join(', ')}`).join('\n');
    }
    return `  ${path}: ${issue.message}; got ${formatValue(value)}`;
  });
  throw new Error(`${source}: invalid ${what}\n${lines.join('\n')}`);
}

/** A check of one field of a parsed configuration by a layer's own checker (it throws on a problem). */
export interface FieldCheck {
  /** The field's path, e.g. `loss.options` or `networks.0.patches.1.patchSize`. */
  path: string;
  check: () => void;
}

/**
 * Runs every check and, when any fails, throws one error in the format of {@link parseWithSchema}:
 * an `OptionError` of option `o` at `path` becomes `path.o: problem` (`loss.options.weightType: must
 * be one of ...`), any other error `path: message`.
 */
export function checkFields(checks: readonly FieldCheck[], source: string, what: string): void {
  const lines: string[] = [];
  for (const { path, check } of checks) {
    try {
      check();
    } catch (err) {
      if (err instanceof OptionError) lines.push(`  ${err.option === 'options' ? path : `${path}.${err.option}`}: ${err.problem}`);
      else lines.push(`  ${path}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (lines.length > 0) throw new Error(`${source}: invalid ${what}\n${lines.join('\n')}`);
}
