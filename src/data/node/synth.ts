import { join } from 'node:path';
import { oneOf } from '../../common/options.js';
import { writeFileAtomic } from '../../common/node/atomicWrite.js';
import { writeNifti } from './niftiFiles.js';
import { generatePhantom, LESION_SHAPES, SYNTH_LESION_SHAPES, type LesionShape, type SynthLesionShape } from '../phantom.js';


export interface SynthOptions {
  /** Output folder (created; existing files of the same names are replaced). */
  out: string;
  dims: 2 | 3;
  /** Number of training cases (≥ 1). */
  cases: number;
  /** Total lesion fraction per case, in [1e-4, 0.5]. */
  foregroundFraction: number;
  /** Extent per axis; default 128 (2D) or 64 (3D). */
  size?: number;
  /** Lesion classes (labels 1..classes), default 1. */
  classes?: number;
  /** Image channels, default 1. */
  channels?: number;
  /** 'mixed' (default) cycles blobs, elongated, punctate over the cases. */
  lesionShape?: SynthLesionShape;
  /** Default 0. */
  seed?: number;
  /** Called after each case is written (progress reporting). */
  onCase?: (index: number, total: number) => void;
}

export interface SynthCaseReport {
  id: string;
  image: string;
  label: string;
  lesionShape: LesionShape;
  foregroundFraction: number;
}

export interface SynthReport {
  out: string;
  datasetJson: string;
  dims: 2 | 3;
  size: number;
  classes: number;
  channels: number;
  seed: number;
  requestedForegroundFraction: number;
  meanForegroundFraction: number;
  cases: SynthCaseReport[];
}

/** Case seeds are spread so that neighbouring cases of neighbouring seeds never coincide. */
function caseSeed(seed: number, index: number): number {
  return (Math.imul(seed >>> 0, 0x9e3779b1) + Math.imul(index + 1, 0x85ebca6b)) >>> 0;
}

/**
 * Writes a Medical-Segmentation-Decathlon-layout dataset of phantoms: `imagesTr/phantom_NNN.nii.gz`,
 * `labelsTr/phantom_NNN.nii.gz` and `dataset.json` (labels, modality, training pairs). Deterministic
 * from `seed`; each file is written atomically.
 */
export async function writeSyntheticDataset(options: SynthOptions): Promise<SynthReport> {
  const op = 'writeSyntheticDataset';
  const { out, dims, cases, foregroundFraction } = options;
  if (!Number.isInteger(cases) || cases < 1 || cases > 100000) throw new Error(`${op}: cases must be an integer in 1..100000, got ${cases}`);
  const shapeOpt = options.lesionShape ?? 'mixed';
  oneOf(op, 'lesionShape', shapeOpt, SYNTH_LESION_SHAPES);
  const size = options.size ?? (dims === 2 ? 128 : 64);
  const classes = options.classes ?? 1;
  const channels = options.channels ?? 1;
  const seed = options.seed ?? 0;
  const reports: SynthCaseReport[] = [];
  for (let i = 0; i < cases; i++) {
    const lesionShape: LesionShape = shapeOpt === 'mixed' ? LESION_SHAPES[i % LESION_SHAPES.length]! : shapeOpt;
    const phantom = generatePhantom({ dims, size, foregroundFraction, lesionShape, classes, channels, seed: caseSeed(seed, i) });
    const id = `phantom_${String(i).padStart(3, '0')}`;
    const image = `imagesTr/${id}.nii.gz`;
    const label = `labelsTr/${id}.nii.gz`;
    await writeNifti(join(out, image), phantom.image);
    await writeNifti(join(out, label), phantom.label);
    reports.push({ id, image: `./${image}`, label: `./${label}`, lesionShape, foregroundFraction: phantom.foregroundFraction });
    options.onCase?.(i, cases);
  }
  const labels: Record<string, string> = { '0': 'background' };
  for (let c = 1; c <= classes; c++) labels[String(c)] = classes === 1 ? 'lesion' : `lesion${c}`;
  const modality: Record<string, string> = {};
  for (let c = 0; c < channels; c++) modality[String(c)] = `synthetic${channels > 1 ? c : ''}`;
  const datasetJson = join(out, 'dataset.json');
  const description = {
    name: 'gendice-phantoms',
    description: `Synthetic ${dims}D organ + lesion phantoms, foreground fraction ${foregroundFraction}, lesion shape ${shapeOpt}, seed ${seed} (gendice synth)`,
    tensorImageSize: channels > 1 ? '4D' : dims === 3 ? '3D' : '2D',
    reference: 'gendice',
    licence: 'CC0',
    release: '1.0',
    modality,
    labels,
    numTraining: cases,
    numTest: 0,
    training: reports.map((r) => ({ image: r.image, label: r.label })),
    test: [],
  };
  writeFileAtomic(datasetJson, `${JSON.stringify(description, null, 2)}\n`);
  return {
    out,
    datasetJson,
    dims,
    size,
    classes,
    channels,
    seed,
    requestedForegroundFraction: foregroundFraction,
    meanForegroundFraction: reports.reduce((s, r) => s + r.foregroundFraction, 0) / cases,
    cases: reports,
  };
}
