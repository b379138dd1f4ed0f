import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { writeFileAtomic } from '../../../common/node/atomicWrite.js';
import { readNifti, writeNifti } from '../../../data/node/niftiFiles.js';
import type { Volume } from '../../../data/volume.js';
import { parseTrainingConfig, type TrainingConfig } from '../../../training/config.js';
import { loadTrainingData, type TrainingCase } from '../../../training/node/trainingData.js';
import { lossLabel, studyLoss } from '../../findings/index.js';
import { PREDICTIONS_DIR, readHeldOutPredictions, type HeldOutPredictions } from '../../node/heldOutPredictions.js';
import { trialDir } from '../../node/store.js';
import type { StudyResults } from '../../types.js';
import { chooseOverlayCases, overlaySvg, type HeldOutCase } from '../overlays.js';
import type { PagePicture, PagePictures } from '../pictures.js';
import { svgToPng } from './png.js';

/** The report's sub-folders for the overlay pictures and for the cases the viewer commands open. */
export const OVERLAYS_DIR = 'overlays';
export const CASES_DIR = 'cases';

function safe(text: string): string {
  return text.replace(/[^A-Za-z0-9_.-]+/g, '-');
}

/** The test cases of one data configuration, loaded once (synthetic data regenerated from its seeds). */
interface CaseSource {
  key: string;
  cases: Map<string, TrainingCase>;
}

/** What a trial's data depend on: the data section, the data seed and the normalisation. */
function dataKey(config: TrainingConfig): string {
  const text = JSON.stringify({ data: config.data, dataSeed: config.dataSeed ?? config.seed, normalization: config.normalization });
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

/**
 * Writes the overlay pictures of a study's held-out cases into `reportDir/overlays/` (the best, median
 * and worst case of each network × loss, `chooseOverlayCases`) and the images and references of every
 * stored test case into `reportDir/cases/<data>/` (for the `gendice view` commands), and returns what the
 * page shows: the pictures (as data URIs and file names), a viewer command line per stored prediction,
 * and a plain note when the trials stored no predictions (records from before gendice kept them) or
 * some stored files cannot be read (named, and left out: the report is still written).
 */
export async function writeOverlayPictures(studyDir: string, results: StudyResults, reportDir: string): Promise<PagePictures> {
  const done = results.trials.filter((t) => t.record?.status === 'done');
  const stored: Array<{ id: string; network: string; loss: string; folder: string; index: HeldOutPredictions; config: TrainingConfig }> = [];
  // Damaged files are reported on the page, never fatal: the rest of the report is still drawn.
  const problems: string[] = [];
  const problem = (err: unknown): void => {
    const text = err instanceof Error ? err.message : String(err);
    if (!problems.includes(text)) problems.push(text);
  };
  let unreadable = 0;
  for (const t of done) {
    const folder = trialDir(studyDir, t.id);
    try {
      const index = readHeldOutPredictions(folder);
      if (index === undefined || index.cases.length === 0) continue;
      const configPath = join(folder, 'config.json');
      if (!existsSync(configPath)) throw new Error(`${configPath} is missing: the trial's data cannot be loaded`);
      const config = parseTrainingConfig(JSON.parse(readFileSync(configPath, 'utf8')), configPath);
      stored.push({ id: t.id, network: t.parameters.network, loss: lossLabel(studyLoss(t.parameters)), folder, index, config });
    } catch (err) {
      unreadable++;
      problem(err);
    }
  }
  const missingCount = done.length - stored.length - unreadable;
  const notes: string[] = [];
  if (stored.length === 0 && unreadable === 0) {
    notes.push(
      done.length === 0
        ? 'No trial has finished yet, so there are no held-out predictions to draw.'
        : `No held-out predictions are stored for the ${done.length} finished trial${done.length === 1 ? '' : 's'} of this study ` +
            '(they were recorded before gendice kept them, or had no test cases): only the Dice values are known.',
    );
  } else if (missingCount > 0) {
    notes.push(`${missingCount} of the ${done.length} finished trials stored no held-out predictions and are not drawn.`);
  }
  const noteOf = (): string | null => {
    const all = [...notes];
    if (problems.length > 0) all.push(`Not drawn, ${problems.length} problem${problems.length === 1 ? '' : 's'} with stored predictions: ${problems.join('; ')}.`);
    return all.length ? all.join(' ') : null;
  };
  if (stored.length === 0) return { pictures: [], note: noteOf(), views: {} };

  const sources = new Map<string, Promise<CaseSource>>();
  const sourceOf = (folder: string, config: TrainingConfig): Promise<CaseSource> => {
    const key = dataKey(config);
    let source = sources.get(key);
    if (source === undefined) {
      source = (async () => {
        const data = await loadTrainingData(config, folder);
        const cases = new Map(data.test.map((c) => [c.id, c]));
        for (const c of data.test) {
          const base = join(reportDir, CASES_DIR, key, safe(c.id));
          await writeNifti(`${base}_image.nii.gz`, c.image);
          await writeNifti(`${base}_label.nii.gz`, c.label);
        }
        return { key, cases };
      })();
      sources.set(key, source);
    }
    return source;
  };

  const views: Record<string, string[]> = {};
  const items: HeldOutCase[] = [];
  for (const s of stored) {
    let source: CaseSource;
    try {
      source = await sourceOf(s.folder, s.config);
    } catch (err) {
      problem(new Error(`the data of trial '${s.id}' cannot be loaded (${err instanceof Error ? err.message : String(err)})`));
      continue;
    }
    views[s.id] = s.index.cases.map((c) => {
      const base = join(relative(studyDir, reportDir), CASES_DIR, source.key, safe(c.case));
      const pred = join(relative(studyDir, s.folder), PREDICTIONS_DIR, c.file);
      return `gendice view --image ${base}_image.nii.gz --label ${base}_label.nii.gz --pred ${pred}`;
    });
    for (const c of s.index.cases) if (c.dice !== null) items.push({ trial: s.id, network: s.network, loss: s.loss, case: c.case, dice: c.dice });
  }

  const pictures: PagePicture[] = [];
  for (const choice of chooseOverlayCases(items)) {
    const s = stored.find((x) => x.id === choice.item.trial)!;
    const source = await sourceOf(s.folder, s.config);
    const c = source.cases.get(choice.item.case);
    const entry = s.index.cases.find((x) => x.case === choice.item.case)!;
    if (c === undefined) {
      problem(new Error(`trial '${s.id}' stored a prediction for '${entry.case}', which is not one of its test cases`));
      continue;
    }
    let prediction: Volume;
    try {
      prediction = await readNifti(join(s.folder, PREDICTIONS_DIR, entry.file));
      if (prediction.shape.join('x') !== c.image.shape.join('x')) throw new Error(`${join(s.folder, PREDICTIONS_DIR, entry.file)} has shape [${prediction.shape.join(', ')}], its case [${c.image.shape.join(', ')}]`);
    } catch (err) {
      problem(err);
      continue;
    }
    const title = `${choice.network} · ${choice.loss} · ${choice.rank} of ${choice.of} · Dice ${choice.item.dice.toFixed(3)}`;
    const drawn = overlaySvg(c.image, c.label, prediction, { title });
    const png = svgToPng(drawn.svg, { scale: 1 }).png;
    const file = `${OVERLAYS_DIR}/${safe(`${choice.network}-${choice.loss}-${choice.rank}`)}.png`;
    writeFileAtomic(join(reportDir, file), png);
    pictures.push({
      network: choice.network,
      loss: choice.loss,
      rank: choice.rank,
      of: choice.of,
      trial: s.id,
      case: entry.case,
      dice: choice.item.dice,
      slice: c.image.shape.length === 3 ? drawn.slice : null,
      file,
      src: `data:image/png;base64,${Buffer.from(png).toString('base64')}`,
    });
  }
  return { pictures, note: noteOf(), views };
}
