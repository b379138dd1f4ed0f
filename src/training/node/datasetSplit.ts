import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../../common/node/atomicWrite.js';
import { type CaseEntry, type DatasetDescription, splitCases } from '../../data/node/dataset.js';
import { checkSplit, foldSplit } from '../split.js';

/** The split settings of a dataset's `data` config section. */
export interface DatasetSplitSettings {
  validationFraction: number;
  testFraction: number;
  split?: string | undefined;
  folds?: number | undefined;
  fold?: number | undefined;
}

/** dataset.json's `test` cases that have a label (given, or `labelsTs/<id>.nii.gz` / `.nii`). */
function labelledTestCases(description: DatasetDescription): CaseEntry[] {
  return description.test.flatMap((entry) => {
    if (entry.label !== undefined) return [entry];
    const found = ['.nii.gz', '.nii'].map((ext) => join(description.root, 'labelsTs', `${entry.id}${ext}`)).find((p) => existsSync(p));
    return found === undefined ? [] : [{ ...entry, label: found }];
  });
}

/**
 * The train/validation/test cases of a Decathlon folder. In order of precedence: an explicit split
 * file (`split`, JSON {train, validation, test} of case ids, checked against the dataset), seeded
 * folds (`folds`, `fold`: `foldSplit` over the training cases), or the seeded fractions. Without a
 * split file and with `testFraction` 0, dataset.json's labelled `test` cases are the test set.
 */
export function splitDataset(description: DatasetDescription, settings: DatasetSplitSettings, seed: number, configDir: string): { train: CaseEntry[]; validation: CaseEntry[]; test: CaseEntry[] } {
  const heldOut = labelledTestCases(description);
  if (settings.split !== undefined) {
    const path = resolve(configDir, settings.split);
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new Error(`data.split: cannot read ${path} (${err instanceof Error ? err.message : String(err)})`);
    }
    if (settings.folds !== undefined) throw new Error(`data.split: a split file and data.folds (${settings.folds}) exclude each other`);
    const byId = new Map([...description.training, ...heldOut].map((e) => [e.id, e]));
    const split = checkSplit(raw, [...byId.keys()], path);
    const pick = (ids: string[]): CaseEntry[] => ids.map((id) => byId.get(id)!);
    return { train: pick(split.train), validation: pick(split.validation), test: pick(split.test) };
  }
  const test = settings.testFraction === 0 ? heldOut : [];
  if (settings.folds !== undefined) {
    if (settings.testFraction !== 0) throw new Error(`data.folds: folds split the training cases; set data.testFraction to 0 (got ${settings.testFraction})`);
    const f = foldSplit(description.training.map((e) => e.id), settings.folds, settings.fold ?? 0, seed);
    const byId = new Map(description.training.map((e) => [e.id, e]));
    return { train: f.train.map((id) => byId.get(id)!), validation: f.validation.map((id) => byId.get(id)!), test };
  }
  if (settings.fold !== undefined) throw new Error(`data.fold: ${settings.fold} needs data.folds (e.g. 5)`);
  const parts = splitCases(description.training, { validation: settings.validationFraction, test: settings.testFraction, seed });
  return settings.testFraction === 0 ? { ...parts, test } : parts;
}

/** Records the run's split as split.json in its folder (ids per set), durably. */
export function writeSplitFile(outDir: string, data: { train: Array<{ id: string }>; validation: Array<{ id: string }>; test: Array<{ id: string }> }): void {
  const ids = (cases: Array<{ id: string }>): string[] => cases.map((c) => c.id);
  writeFileAtomic(join(outDir, 'split.json'), `${JSON.stringify({ train: ids(data.train), validation: ids(data.validation), test: ids(data.test) }, null, 2)}\n`);
}
