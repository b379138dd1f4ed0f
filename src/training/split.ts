import { Random } from '../common/random.js';

/** A train/validation/test split by case id (split.json in a run folder, or a `data.split` file). */
export interface CaseSplit {
  train: string[];
  validation: string[];
  test: string[];
}

/**
 * nnU-Net-like k-fold cross-validation: ids sorted, shuffled with the seed, case i of the shuffled
 * order in fold i mod `folds`; fold `fold` is the validation set, the others train. Every case is in
 * exactly one validation fold.
 */
export function foldSplit(ids: readonly string[], folds: number, fold: number, seed: number): { train: string[]; validation: string[] } {
  if (!Number.isInteger(folds) || folds < 2) throw new Error(`foldSplit: folds must be an integer ≥ 2; got ${folds}`);
  if (!Number.isInteger(fold) || fold < 0 || fold >= folds) throw new Error(`foldSplit: fold must be an integer in [0, ${folds - 1}]; got ${fold}`);
  if (ids.length < folds) throw new Error(`foldSplit: ${ids.length} case(s) cannot make ${folds} folds`);
  const order = [...ids].sort();
  new Random(seed).shuffle(order);
  const validation = order.filter((_, i) => i % folds === fold);
  const train = order.filter((_, i) => i % folds !== fold);
  return { train, validation };
}

/**
 * Checks a split read from `source` against the dataset's case ids: lists of strings, every id known,
 * no id twice. Errors name the source, the list and the id (`split.json: validation: unknown case id 'x'`).
 */
export function checkSplit(value: unknown, known: readonly string[], source: string): CaseSplit {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`checkSplit: ${source}: must be an object {train, validation, test}`);
  const v = value as Record<string, unknown>;
  const knownSet = new Set(known);
  const seen = new Map<string, string>();
  const out: CaseSplit = { train: [], validation: [], test: [] };
  for (const key of Object.keys(v)) {
    if (!(key in out)) throw new Error(`checkSplit: ${source}: unknown key '${key}' (keys: train, validation, test)`);
  }
  for (const key of ['train', 'validation', 'test'] as const) {
    const list = v[key] ?? [];
    if (!Array.isArray(list) || !list.every((id) => typeof id === 'string')) throw new Error(`checkSplit: ${source}: ${key} must be a list of case ids`);
    for (const id of list as string[]) {
      if (!knownSet.has(id)) throw new Error(`checkSplit: ${source}: ${key}: unknown case id '${id}'`);
      const before = seen.get(id);
      if (before !== undefined) throw new Error(`checkSplit: ${source}: case '${id}' is in both ${before} and ${key}`);
      seen.set(id, key);
    }
    out[key] = [...(list as string[])];
  }
  if (out.train.length === 0) throw new Error(`checkSplit: ${source}: train lists no case`);
  return out;
}
