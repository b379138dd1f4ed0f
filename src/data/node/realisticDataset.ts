import { join } from 'node:path';
import { writeFileAtomic } from '../../common/atomicWrite.js';
import { writeNifti } from './niftiFiles.js';
import { generateRealisticPhantom, REALISTIC_LABELS, REALISTIC_MODALITIES } from '../realisticPhantom.js';

export interface RealisticDatasetOptions {
  /** Output folder (created; files of the same names are replaced). */
  out: string;
  /** Training cases (≥ 1). */
  cases: number;
  /** Held-out cases listed under dataset.json's `test` (images in imagesTs/, labels in labelsTs/). Default 0. */
  testCases?: number;
  /** Default 0. */
  seed?: number;
  /** Called after each case is written. */
  onCase?: (index: number, total: number) => void;
}

export interface RealisticCaseReport {
  id: string;
  image: string;
  label: string;
  orientation: string;
  shape: number[];
  spacing: number[];
  obliqueDegrees: number;
}

export interface RealisticDatasetReport {
  out: string;
  datasetJson: string;
  seed: number;
  modalities: string[];
  labels: string[];
  training: RealisticCaseReport[];
  test: RealisticCaseReport[];
}

/** Case seeds spread so that neighbouring cases of neighbouring seeds never coincide. */
function caseSeed(seed: number, index: number): number {
  return (Math.imul(seed >>> 0, 0x2c1b3c6d) + Math.imul(index + 1, 0x297a2d39)) >>> 0;
}

/**
 * Writes a Decathlon-layout dataset of realistic phantoms (`generateRealisticPhantom`): every case its
 * own size, anisotropic spacing, stored orientation and oblique affine, two modalities in one 4D
 * `imagesTr/realistic_NNN.nii.gz`, the organ and lesion labels in `labelsTr/`, held-out cases in
 * `imagesTs/` + `labelsTs/`, and `dataset.json` naming the modalities (T1, T2) and labels. Each file
 * is written to a temporary name and renamed. Deterministic from `seed`.
 */
export async function writeRealisticDataset(options: RealisticDatasetOptions): Promise<RealisticDatasetReport> {
  const op = 'writeRealisticDataset';
  const { out, cases } = options;
  const testCases = options.testCases ?? 0;
  if (!Number.isInteger(cases) || cases < 1 || cases > 10000) throw new Error(`${op}: cases must be an integer in 1..10000, got ${cases}`);
  if (!Number.isInteger(testCases) || testCases < 0 || testCases > 10000) throw new Error(`${op}: testCases must be an integer in 0..10000, got ${testCases}`);
  const seed = options.seed ?? 0;
  const training: RealisticCaseReport[] = [];
  const test: RealisticCaseReport[] = [];
  const total = cases + testCases;
  for (let i = 0; i < total; i++) {
    const held = i >= cases;
    const phantom = generateRealisticPhantom({ seed: caseSeed(seed, i) });
    const id = `realistic_${String(i).padStart(3, '0')}`;
    const image = `${held ? 'imagesTs' : 'imagesTr'}/${id}.nii.gz`;
    const label = `${held ? 'labelsTs' : 'labelsTr'}/${id}.nii.gz`;
    await writeNifti(join(out, image), phantom.image);
    await writeNifti(join(out, label), phantom.label);
    (held ? test : training).push({
      id,
      image: `./${image}`,
      label: `./${label}`,
      orientation: phantom.orientation,
      shape: phantom.image.shape,
      spacing: phantom.image.spacing,
      obliqueDegrees: phantom.obliqueDegrees,
    });
    options.onCase?.(i, total);
  }
  const datasetJson = join(out, 'dataset.json');
  const description = {
    name: 'gendice-realistic',
    description: `Realistic phantoms: per-case size, anisotropic spacing, stored orientation and oblique affine, two modalities with bias fields, organ and lesion (gendice synth --realistic, seed ${seed})`,
    tensorImageSize: '4D',
    reference: 'gendice',
    licence: 'CC0',
    release: '1.0',
    modality: Object.fromEntries(REALISTIC_MODALITIES.map((m, c) => [String(c), m])),
    labels: Object.fromEntries(REALISTIC_LABELS.map((l, v) => [String(v), l])),
    numTraining: cases,
    numTest: testCases,
    training: training.map((r) => ({ image: r.image, label: r.label })),
    test: test.map((r) => r.image),
  };
  writeFileAtomic(datasetJson, `${JSON.stringify(description, null, 2)}\n`);
  return { out, datasetJson, seed, modalities: [...REALISTIC_MODALITIES], labels: [...REALISTIC_LABELS], training, test };
}
