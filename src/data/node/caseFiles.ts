import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * How a case's image files are named. gendice reads both layouts of a Decathlon-style folder:
 * - one file per case, 3D or 4D with the modalities along the fourth axis (the Decathlon's
 *   `imagesTr/BRATS_001.nii.gz`);
 * - one file per modality, nnU-Net's `imagesTr/BRATS_001_0000.nii.gz`, `BRATS_001_0001.nii.gz`, ...:
 *   the four digits are the channel, in `dataset.json`'s modality order (`modality` or `channel_names`).
 */
export const NIFTI_PATTERN = /\.nii(\.gz)?$/i;
const CHANNEL_SUFFIX = /^(.*)_(\d{4})(\.nii(?:\.gz)?)$/i;

/** The case id and channel of `file` when it is named `<case>_<NNNN>.nii[.gz]`, else undefined. */
export function channelOf(file: string): { id: string; channel: number; extension: string } | undefined {
  const m = CHANNEL_SUFFIX.exec(basename(file));
  return m === null ? undefined : { id: m[1]!, channel: Number(m[2]), extension: m[3]! };
}

/** `<dir>/<case>_<NNNN><extension>`, nnU-Net's name of channel `channel` of a case. */
export function channelFileName(dir: string, id: string, channel: number, extension: string): string {
  return join(dir, `${id}_${String(channel).padStart(4, '0')}${extension}`);
}

/**
 * The image files of a case listed as `path` (`./imagesTr/case.nii.gz`): `[path]` when that file
 * exists; else, nnU-Net's per-modality layout, `case_0000.nii.gz` … `case_<channels-1>.nii.gz` beside
 * it, each of which must exist. Returns undefined when neither layout is there.
 */
export function imageFilesOf(path: string, channels: number): string[] | undefined {
  if (existsSync(path)) return [path];
  const m = /^(.*?)(\.nii(?:\.gz)?)$/i.exec(basename(path));
  if (m === null) return undefined;
  const files = Array.from({ length: Math.max(1, channels) }, (_, c) => channelFileName(dirname(path), m[1]!, c, m[2]!));
  if (!existsSync(files[0]!)) return undefined;
  const missing = files.filter((f) => !existsSync(f));
  if (missing.length > 0) {
    throw new Error(`imageFilesOf: case '${m[1]}' has one file per modality but lacks ${missing.map((f) => `'${basename(f)}'`).join(', ')} (${channels} modalities)`);
  }
  return files;
}

/** A case's image files, in channel order. */
export interface CaseFiles {
  id: string;
  images: string[];
}

export interface GroupCaseFilesOptions {
  /**
   * The channels every case must have (a model's `inputChannels`). 1: every file is its own case (a
   * trailing `_0000` is dropped from its id). More: files named `<case>_<NNNN>` are grouped, and a group
   * must hold channels 0 … channels-1; a file without the suffix is one (4D) case. Undefined: files are
   * grouped where their suffixes run 0000, 0001, … without a gap, else each is its own case.
   */
  channels?: number;
}

/**
 * Groups image files into cases: nnU-Net's `case_0000.nii.gz`, `case_0001.nii.gz`, ... become one case
 * `case` with its files in channel order; any other file is a case of its own. Cases come sorted by id;
 * two cases of the same id (`a.nii.gz` beside `a_0000.nii.gz`) and incomplete groups are refused, naming
 * the case and its files. This is what `predict` calls on an input folder.
 */
export function groupCaseFiles(files: readonly string[], options: GroupCaseFilesOptions = {}): CaseFiles[] {
  const op = 'groupCaseFiles';
  const { channels } = options;
  if (channels !== undefined && !(Number.isInteger(channels) && channels >= 1)) throw new Error(`${op}: channels must be an integer >= 1; got ${channels}`);
  const groups = new Map<string, Array<{ channel: number; file: string }>>();
  const singles: CaseFiles[] = [];
  for (const file of files) {
    const c = channelOf(file);
    if (c === undefined || channels === 1) {
      singles.push({ id: c?.channel === 0 ? c.id : basename(file).replace(NIFTI_PATTERN, ''), images: [file] });
      continue;
    }
    const key = join(dirname(file), c.id);
    groups.set(key, [...(groups.get(key) ?? []), { channel: c.channel, file }]);
  }
  const cases = [...singles];
  for (const [key, members] of groups) {
    const id = basename(key);
    members.sort((a, b) => a.channel - b.channel);
    const contiguous = members.every((m, i) => m.channel === i);
    const names = members.map((m) => `'${basename(m.file)}'`).join(', ');
    if (channels === undefined && !contiguous) {
      for (const m of members) cases.push({ id: basename(m.file).replace(NIFTI_PATTERN, ''), images: [m.file] });
      continue;
    }
    if (!contiguous || (channels !== undefined && members.length !== channels)) {
      const want = channels ?? members.length;
      const have = new Set(members.map((m) => m.channel));
      const missing = Array.from({ length: want }, (_, i) => i).filter((i) => !have.has(i));
      const extra = members.filter((m) => m.channel >= want).map((m) => `'${basename(m.file)}'`);
      throw new Error(
        `${op}: case '${id}' needs one file per channel, _0000 to _${String(want - 1).padStart(4, '0')}; found ${names}` +
          (missing.length > 0 ? ` (missing channel${missing.length > 1 ? 's' : ''} ${missing.join(', ')})` : '') +
          (extra.length > 0 ? ` (beyond ${want} channels: ${extra.join(', ')})` : ''),
      );
    }
    cases.push({ id, images: members.map((m) => m.file) });
  }
  cases.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (let i = 1; i < cases.length; i++) {
    if (cases[i]!.id === cases[i - 1]!.id && dirname(cases[i]!.images[0]!) === dirname(cases[i - 1]!.images[0]!)) {
      throw new Error(`${op}: case '${cases[i]!.id}' is given twice: ${[...cases[i - 1]!.images, ...cases[i]!.images].map((f) => `'${basename(f)}'`).join(' and ')}`);
    }
  }
  return cases;
}

/**
 * The image files of a folder (`imagesTr/`), hidden files (`._case.nii.gz`, macOS's AppleDouble) left
 * out, grouped into cases (`groupCaseFiles`).
 */
export function caseFilesInFolder(dir: string, options: GroupCaseFilesOptions & { extension?: string } = {}): CaseFiles[] {
  const extension = options.extension;
  const files = readdirSync(dir)
    .filter((f) => !f.startsWith('.') && (extension === undefined ? NIFTI_PATTERN.test(f) : f.endsWith(extension)))
    .sort()
    .map((f) => join(dir, f));
  return groupCaseFiles(files, options.channels === undefined ? {} : { channels: options.channels });
}
