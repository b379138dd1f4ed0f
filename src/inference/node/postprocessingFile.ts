import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../common/node/atomicWrite.js';
import { parsePostprocessing, POSTPROCESSING_FILE, postprocessingJson, type PostprocessingPlan } from '../postprocessing.js';

/** Writes `dir/postprocessing.json` atomically. */
export function writePostprocessing(dir: string, plan: PostprocessingPlan): void {
  writeFileAtomic(join(dir, POSTPROCESSING_FILE), postprocessingJson(plan));
}

/** Reads and checks `dir/postprocessing.json`; undefined when the model folder has none. Errors name the file. */
export function readPostprocessing(dir: string): PostprocessingPlan | undefined {
  const path = join(dir, POSTPROCESSING_FILE);
  if (!existsSync(path)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`readPostprocessing: ${path} is not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  return parsePostprocessing(value, path);
}
