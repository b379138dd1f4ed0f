import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../common/atomicWrite.js';
import { MODEL_CARD, modelCardJson, parseModelCard, type ModelCard } from '../modelCard.js';

export type { ModelCard } from '../modelCard.js';

/** Writes `dir/gendice.json` atomically, after checking the card (`parseModelCard`). */
export function writeModelCard(dir: string, card: ModelCard): void {
  const path = join(dir, MODEL_CARD);
  writeFileAtomic(path, modelCardJson(parseModelCard(card, path)));
}

/** Reads and checks `dir/gendice.json`; the errors name the file (missing, not JSON, or the bad field). */
export function readModelCard(dir: string): ModelCard {
  const path = join(dir, MODEL_CARD);
  if (!existsSync(path)) throw new Error(`readModelCard: ${path} not found; gendice predict needs the model folder written by gendice train`);
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`readModelCard: ${path} is not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  return parseModelCard(value, path);
}
