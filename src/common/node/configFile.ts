import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';

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
