import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readNifti } from '../../data/node/niftiFiles.js';
import { volumeToChannelsLast } from '../../data/volume.js';
import { evaluate, type EvaluateOptions, type EvaluationPair, type EvaluationReport } from '../../metrics/evaluate.js';

const niftiPattern = /\.nii(\.gz)?$/i;

function caseFiles(dir: string, flag: string, skipped: string[]): Map<string, string> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`evaluate: ${flag} '${dir}' is not a folder`);
  const map = new Map<string, string>();
  for (const f of readdirSync(dir).sort()) {
    if (!niftiPattern.test(f) || /_prob\.nii(\.gz)?$/i.test(f)) continue;
    // Hidden files, among them the macOS AppleDouble '._case.nii.gz' files of the Decathlon archives.
    if (f.startsWith('.')) {
      skipped.push(join(dir, f));
      continue;
    }
    map.set(f.replace(niftiPattern, '').replace(/_0000$/, ''), join(dir, f));
  }
  if (map.size === 0) throw new Error(`evaluate: ${flag} '${dir}' holds no .nii or .nii.gz label map`);
  return map;
}

/**
 * Evaluates the label maps of `predDir` against those of `refDir`, paired by case name (the file
 * name without .nii/.nii.gz). Every reference needs a prediction (a missing one is an error naming
 * it); predictions without a reference are reported in `unmatched`, hidden files (names starting with
 * '.', such as macOS's AppleDouble '._case.nii.gz') are left out and reported in `skipped`. Spacing comes
 * from the files.
 */
export async function evaluateFolders(
  predDir: string,
  refDir: string,
  options: EvaluateOptions = {},
): Promise<EvaluationReport & { unmatched: string[]; skipped: string[] }> {
  const skipped: string[] = [];
  const predictions = caseFiles(predDir, '--pred', skipped);
  const references = caseFiles(refDir, '--ref', skipped);
  const missing = [...references.keys()].filter((id) => !predictions.has(id));
  if (missing.length > 0) throw new Error(`evaluate: no prediction in '${predDir}' for reference case(s) ${missing.join(', ')}`);
  const pairs: EvaluationPair[] = [];
  for (const [id, refPath] of references) {
    const predPath = predictions.get(id)!;
    const [pred, ref] = await Promise.all([readNifti(predPath), readNifti(refPath)]);
    if (pred.shape.join('x') !== ref.shape.join('x')) {
      throw new Error(`evaluate: ${predPath} has shape [${pred.shape.join(', ')}] but ${refPath} has [${ref.shape.join(', ')}]`);
    }
    const shape = [1, ...ref.shape, 1];
    pairs.push({
      id,
      prediction: { data: volumeToChannelsLast(pred), shape },
      reference: { data: volumeToChannelsLast(ref), shape },
      spacing: ref.spacing,
    });
  }
  const report = evaluate(pairs, options);
  return { ...report, unmatched: [...predictions.keys()].filter((id) => !references.has(id)), skipped };
}
