import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { Random } from '../../common/index.js';
import type { ReadNiftiOptions } from '../nifti/options.js';
import { caseFilesInFolder, imageFilesOf } from './caseFiles.js';
import { readNifti } from './niftiFiles.js';
import { allocateVoxels, voxelsPerChannel, type Volume } from '../volume.js';

/** One case: image file(s) (one 4D file, or one file per modality) and an optional label file. */
export interface CaseEntry {
  id: string;
  images: string[];
  label?: string;
}

/** What a Decathlon `dataset.json` says, with paths resolved. */
export interface DatasetDescription {
  name: string;
  root: string;
  /** Label value → name, e.g. {0: 'background', 1: 'edema'}. */
  labels: Map<number, string>;
  /** Channel index → modality name. */
  modalities: string[];
  training: CaseEntry[];
  test: CaseEntry[];
}

function caseId(path: string): string {
  return basename(path).replace(/\.nii(\.gz)?$/i, '').replace(/_0000$/, '');
}

function resolveExisting(root: string, path: unknown, where: string): string {
  if (typeof path !== 'string' || path.length === 0) throw new Error(`${where}: expected a file path, got ${JSON.stringify(path)}`);
  const full = isAbsolute(path) ? path : resolve(root, path);
  if (!existsSync(full)) throw new Error(`${where}: file '${path}' not found (resolved to ${full})`);
  return full;
}

/** The image files of an entry's `image`: the file itself, or nnU-Net's per-modality files beside it (`imageFilesOf`). */
function resolveImages(root: string, path: unknown, channels: number, where: string): string[] {
  if (typeof path !== 'string' || path.length === 0) throw new Error(`${where}: expected a file path, got ${JSON.stringify(path)}`);
  const full = isAbsolute(path) ? path : resolve(root, path);
  let files: string[] | undefined;
  try {
    files = imageFilesOf(full, channels);
  } catch (err) {
    throw new Error(`${where}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (files === undefined) {
    const perModality = basename(full).replace(/(\.nii(?:\.gz)?)$/i, '_0000$1');
    throw new Error(`${where}: file '${path}' not found (resolved to ${full}), nor the per-modality file '${perModality}' beside it`);
  }
  return files;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * `labels` of dataset.json: the Decathlon's `{"0": "background", "1": "edema"}` or nnU-Net v2's
 * `{"background": 0, "edema": 1}` (region-based labels, lists of values, are refused).
 */
function parseLabels(raw: unknown, where: string): Map<number, string> {
  const labels = new Map<number, string>();
  if (raw === undefined) return labels;
  if (!isRecord(raw)) throw new Error(`${where}: 'labels' must be an object {"0": "background", ...}`);
  const entries = Object.entries(raw);
  const byName = entries.length > 0 && entries.every(([k, v]) => !/^\d+$/.test(k) && (typeof v === 'number' || Array.isArray(v)));
  if (byName) {
    for (const [name, v] of entries) {
      if (Array.isArray(v)) throw new Error(`${where}: label '${name}' is a region (${JSON.stringify(v)}); region-based labels are not supported, give one value per structure`);
      if (!Number.isInteger(v) || (v as number) < 0) throw new Error(`${where}: label '${name}' has value ${String(v)}; expected a non-negative integer`);
      if (labels.has(v as number)) throw new Error(`${where}: labels '${labels.get(v as number)}' and '${name}' share the value ${String(v)}`);
      labels.set(v as number, name);
    }
    return new Map([...labels.entries()].sort((a, b) => a[0] - b[0]));
  }
  for (const [k, v] of entries) {
    const value = Number(k);
    if (!Number.isInteger(value) || value < 0) throw new Error(`${where}: labels key '${k}' is not a non-negative integer`);
    labels.set(value, String(v));
  }
  return labels;
}

/**
 * Reads a Decathlon-style folder, in either layout of its images:
 * - the Medical Segmentation Decathlon's (and nnU-Net v1's) `dir/dataset.json` with
 *   `training: [{image, label}]`, `test: [path]` (or `[{image}]`), `labels: {"0": "background", ...}` and
 *   `modality: {"0": "FLAIR", ...}`; an `image` path names one file (3D, or 4D with the modalities along the
 *   fourth axis) or, where that file does not exist, the per-modality files beside it
 *   (`imagesTr/case.nii.gz` → `case_0000.nii.gz`, `case_0001.nii.gz`, ..., one per modality);
 * - nnU-Net v2's, a dataset.json without `training` (`channel_names`, `labels: {"background": 0, ...}`,
 *   `file_ending`): the cases are the files of `imagesTr/` grouped by case (`case_0000.nii.gz`, ...;
 *   `groupCaseFiles`), their labels `labelsTr/<case><file_ending>`, held-out cases those of `imagesTs/`.
 * Paths are relative to `dir`; every referenced file must exist. Images list the files in channel order.
 */
export function loadDecathlon(dir: string): DatasetDescription {
  const jsonPath = resolve(dir, 'dataset.json');
  if (!existsSync(jsonPath)) throw new Error(`loadDecathlon: ${jsonPath} not found`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(jsonPath, 'utf8'));
  } catch (err) {
    throw new Error(`loadDecathlon: ${jsonPath}: invalid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!isRecord(json)) throw new Error(`loadDecathlon: ${jsonPath}: expected a JSON object`);
  const root = dirname(jsonPath);
  const labels = parseLabels(json.labels, `loadDecathlon: ${jsonPath}`);
  const modalities: string[] = [];
  const modalityRecord = isRecord(json.modality) ? json.modality : isRecord(json.channel_names) ? json.channel_names : undefined;
  if (modalityRecord !== undefined) {
    for (const [k, v] of Object.entries(modalityRecord)) modalities[Number(k)] = String(v);
  }
  const channels = Math.max(1, modalities.length);
  const name = typeof json.name === 'string' ? json.name : basename(root);
  if (json.training === undefined && existsSync(join(root, 'imagesTr'))) {
    const ending = typeof json.file_ending === 'string' ? json.file_ending : undefined;
    const discover = (images: string, labelFolder: string | undefined, where: string): CaseEntry[] => {
      if (!existsSync(join(root, images))) return [];
      let found;
      try {
        found = caseFilesInFolder(join(root, images), { channels, ...(ending !== undefined && { extension: ending }) });
      } catch (err) {
        throw new Error(`loadDecathlon: ${join(root, images)}: ${err instanceof Error ? err.message : String(err)}`);
      }
      return found.map((c): CaseEntry => {
        const entry: CaseEntry = { id: c.id, images: c.images };
        if (labelFolder !== undefined) {
          const extension = ending ?? /\.nii(\.gz)?$/i.exec(c.images[0]!)![0];
          entry.label = resolveExisting(root, join(labelFolder, `${c.id}${extension}`), `${where}: case '${c.id}' label`);
        }
        return entry;
      });
    };
    const training = discover('imagesTr', 'labelsTr', `loadDecathlon: ${jsonPath}`);
    if (training.length === 0) throw new Error(`loadDecathlon: ${jsonPath}: no 'training' list and no image in ${join(root, 'imagesTr')}`);
    return { name, root, labels, modalities, training, test: discover('imagesTs', undefined, `loadDecathlon: ${jsonPath}`) };
  }
  if (!Array.isArray(json.training)) throw new Error(`loadDecathlon: ${jsonPath}: 'training' must be an array of {image, label}`);
  const training = json.training.map((entry: unknown, i: number): CaseEntry => {
    const where = `loadDecathlon: ${jsonPath}: training[${i}]`;
    if (!isRecord(entry)) throw new Error(`${where}: expected {image, label}`);
    const images = resolveImages(root, entry.image, channels, `${where}.image`);
    const label = resolveExisting(root, entry.label, `${where}.label`);
    return { id: caseId(images[0]!), images, label };
  });
  const testRaw: unknown[] = Array.isArray(json.test) ? json.test : [];
  const test = testRaw.map((entry, i): CaseEntry => {
    const path = isRecord(entry) ? entry.image : entry;
    const images = resolveImages(root, path, channels, `loadDecathlon: ${jsonPath}: test[${i}]`);
    return { id: caseId(images[0]!), images };
  });
  return { name, root, labels, modalities, training, test };
}

function splitCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      cells.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  cells.push(cur.trim());
  return cells;
}

/**
 * Reads a plain case list: a JSON array of `{ id?, image, label? }` (`image` a path or an array of
 * per-modality paths), or a CSV with a header row naming `image` and optionally `label` and `id`
 * (several modalities in one cell separated by ';'). Paths are relative to the list's folder.
 */
export function loadCaseList(file: string): CaseEntry[] {
  if (!existsSync(file)) throw new Error(`loadCaseList: ${file} not found`);
  const root = dirname(resolve(file));
  const text = readFileSync(file, 'utf8');
  const rows: Array<{ id?: string; images: unknown[]; label?: unknown; where: string }> = [];
  if (/\.json$/i.test(file)) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new Error(`loadCaseList: ${file}: invalid JSON (${err instanceof Error ? err.message : String(err)})`);
    }
    if (!Array.isArray(json)) throw new Error(`loadCaseList: ${file}: expected a JSON array of {image, label}`);
    json.forEach((entry: unknown, i) => {
      if (!isRecord(entry)) throw new Error(`loadCaseList: ${file}: entry ${i}: expected {image, label}`);
      const row: { id?: string; images: unknown[]; label?: unknown; where: string } = {
        images: Array.isArray(entry.image) ? entry.image : [entry.image],
        where: `loadCaseList: ${file}: entry ${i}`,
      };
      if (typeof entry.id === 'string') row.id = entry.id;
      if (entry.label !== undefined) row.label = entry.label;
      rows.push(row);
    });
  } else {
    const lines = text.split(/\r?\n/).filter((l) => l.trim().length > 0);
    const head = splitCsvLine(lines[0] ?? '').map((h) => h.toLowerCase());
    const col = (name: string): number => head.indexOf(name);
    if (col('image') < 0) throw new Error(`loadCaseList: ${file}: the CSV header must name an 'image' column, got '${lines[0] ?? ''}'`);
    lines.slice(1).forEach((line, i) => {
      const cells = splitCsvLine(line);
      const row: { id?: string; images: unknown[]; label?: unknown; where: string } = {
        images: (cells[col('image')] ?? '').split(';').map((s) => s.trim()),
        where: `loadCaseList: ${file}: line ${i + 2}`,
      };
      const id = col('id') >= 0 ? cells[col('id')] : undefined;
      if (id !== undefined && id !== '') row.id = id;
      const label = col('label') >= 0 ? cells[col('label')] : undefined;
      if (label !== undefined && label !== '') row.label = label;
      rows.push(row);
    });
  }
  const seen = new Set<string>();
  return rows.map((row) => {
    const images = row.images.map((p, k) => resolveExisting(root, p, `${row.where}: image${row.images.length > 1 ? `[${k}]` : ''}`));
    const entry: CaseEntry = { id: row.id ?? caseId(images[0]!), images };
    if (row.label !== undefined) entry.label = resolveExisting(root, row.label, `${row.where}: label`);
    if (seen.has(entry.id)) throw new Error(`${row.where}: duplicate case id '${entry.id}'`);
    seen.add(entry.id);
    return entry;
  });
}

export interface SplitOptions {
  /** Share of cases for validation (default 0.1). */
  validation?: number;
  /** Share of cases for test (default 0). */
  test?: number;
  /** Default 0. */
  seed?: number;
}

/**
 * A deterministic train/validation/test split: cases are sorted by id (so the input order does not
 * matter), shuffled with the seeded generator, then cut into test, validation and train (rounded counts).
 */
export function splitCases<T extends { id: string }>(cases: readonly T[], options: SplitOptions = {}): { train: T[]; validation: T[]; test: T[] } {
  const validation = options.validation ?? 0.1;
  const test = options.test ?? 0;
  if (!(validation >= 0 && test >= 0 && validation + test <= 1)) {
    throw new Error(`splitCases: validation (${validation}) and test (${test}) must be ≥ 0 and sum to at most 1`);
  }
  const sorted = [...cases].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  new Random(options.seed ?? 0).shuffle(sorted);
  const nTest = Math.round(test * sorted.length);
  const nVal = Math.min(sorted.length - nTest, Math.round(validation * sorted.length));
  return { test: sorted.slice(0, nTest), validation: sorted.slice(nTest, nTest + nVal), train: sorted.slice(nTest + nVal) };
}

export interface GeometryTolerance {
  /** Relative tolerance on spacing (default 1e-3). */
  spacingTolerance?: number;
  /** Absolute tolerance on affine entries in mm (default 1e-3). */
  affineTolerance?: number;
}

/**
 * Checks that two volumes share a grid: same spatial shape, spacing and affine within tolerance.
 * The error names both files and the first field that differs.
 */
export function checkGeometry(a: Volume, aName: string, b: Volume, bName: string, tolerance: GeometryTolerance = {}): void {
  const st = tolerance.spacingTolerance ?? 1e-3;
  const at = tolerance.affineTolerance ?? 1e-3;
  const both = `'${aName}' and '${bName}'`;
  if (a.shape.join(',') !== b.shape.join(',')) {
    throw new Error(`checkGeometry: ${both} differ in shape: [${a.shape.join(', ')}] vs [${b.shape.join(', ')}]`);
  }
  for (let i = 0; i < a.spacing.length; i++) {
    const x = a.spacing[i]!;
    const y = b.spacing[i]!;
    if (Math.abs(x - y) > st * Math.max(Math.abs(x), Math.abs(y))) {
      throw new Error(`checkGeometry: ${both} differ in spacing: [${a.spacing.join(', ')}] vs [${b.spacing.join(', ')}] (tolerance ${st} relative)`);
    }
  }
  for (let i = 0; i < 12; i++) {
    if (Math.abs(a.affine[i]! - b.affine[i]!) > at) {
      throw new Error(
        `checkGeometry: ${both} differ in affine[${Math.floor(i / 4)}][${i % 4}]: ${a.affine[i]} vs ${b.affine[i]} (tolerance ${at} mm)`,
      );
    }
  }
}

/**
 * Checks that a label map holds integers, and only the values in `allowed` when given.
 * The error names the file and lists the unexpected values.
 */
export function checkLabelValues(label: Volume, name: string, allowed?: Iterable<number>): Set<number> {
  const values = new Set<number>();
  for (let i = 0; i < label.data.length; i++) {
    const v = label.data[i]!;
    if (!Number.isInteger(v)) throw new Error(`checkLabelValues: '${name}': voxel ${i} holds ${v}; labels must be integers`);
    values.add(v);
  }
  if (allowed !== undefined) {
    const ok = new Set(allowed);
    const bad = [...values].filter((v) => !ok.has(v)).sort((x, y) => x - y);
    if (bad.length > 0) {
      throw new Error(`checkLabelValues: '${name}': unexpected label values ${bad.join(', ')}; dataset labels are ${[...ok].sort((x, y) => x - y).join(', ')}`);
    }
  }
  return values;
}

export interface LoadCaseOptions extends GeometryTolerance {
  /** Allowed label values (e.g. the keys of dataset.json's labels). */
  labels?: Iterable<number>;
  /** The channels the image must have in all (e.g. dataset.json's modality count); unchecked when undefined. */
  channels?: number;
  read?: ReadNiftiOptions;
}

export interface LoadedCase {
  id: string;
  image: Volume;
  label?: Volume;
}

/**
 * Reads a case: the image (one file, possibly 4D, or one file per modality stacked as channels in the
 * order of `entry.images`) and its label, with the grid of every modality file and of the label checked
 * against the first file (an error names the case and both files), the channel count against
 * `options.channels`, and the label values.
 */
export async function loadCase(entry: CaseEntry, options: LoadCaseOptions = {}): Promise<LoadedCase> {
  const parts = await Promise.all(entry.images.map((p) => readNifti(p, options.read ?? {})));
  let image = parts[0]!;
  for (let k = 1; k < parts.length; k++) {
    try {
      checkGeometry(image, entry.images[0]!, parts[k]!, entry.images[k]!, options);
    } catch (err) {
      throw new Error(`loadCase: case '${entry.id}': its modality files must share one grid (shape, spacing, affine); ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const channelCount = parts.reduce((sum, p) => sum + p.channels, 0);
  if (options.channels !== undefined && channelCount !== options.channels) {
    const files = entry.images.map((f, k) => `'${basename(f)}' (${parts[k]!.channels})`).join(', ');
    throw new Error(`loadCase: case '${entry.id}': expected ${options.channels} channel${options.channels === 1 ? '' : 's'} (one per modality), got ${channelCount} from ${files}`);
  }
  if (parts.length > 1) {
    const n = voxelsPerChannel(image.shape);
    const total = channelCount;
    const sameType = parts.every((p) => p.datatype === image.datatype);
    const data = sameType ? allocateVoxels(image.datatype, n * total) : new Float32Array(n * total);
    let at = 0;
    for (const p of parts) {
      data.set(p.data, at);
      at += p.data.length;
    }
    image = { data, shape: image.shape, channels: total, spacing: image.spacing, affine: image.affine, datatype: sameType ? image.datatype : 'float32' };
  }
  const out: LoadedCase = { id: entry.id, image };
  if (entry.label !== undefined) {
    const label = await readNifti(entry.label, options.read ?? {});
    checkGeometry(image, entry.images[0]!, label, entry.label, options);
    if (label.channels !== 1) throw new Error(`loadCase: '${entry.label}': a label map must have one channel, got ${label.channels}`);
    checkLabelValues(label, entry.label, options.labels);
    out.label = label;
  }
  return out;
}
