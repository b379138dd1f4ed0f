import type * as tf from '@tensorflow/tfjs';
import { MODEL_CARD, type ModelCard } from './modelCard.js';
import { loadModelFromArtifacts, MODEL_JSON, saveModelToArtifacts, WEIGHTS_BIN, type FileContent, type LoadedModel, type ModelFolderFiles } from './modelFolder.js';

/**
 * Where a gendice model folder comes from outside Node's file system: a URL (fetched) or files a user
 * picked (`File`s, `Blob`s with a name), and where it goes: the browser's downloads. Universal code:
 * `fetch`, `Blob` and `document` are the platform's (Node 18+ has the first two).
 */

const FOLDER_FILES = [MODEL_JSON, WEIGHTS_BIN, MODEL_CARD] as const;

export interface LoadModelFromUrlOptions {
  /** The fetch to use (default `globalThis.fetch`), e.g. one that adds credentials. */
  fetch?: (input: string, init?: RequestInit) => Promise<Response>;
}

/** The folder URL (ending in '/') of `url`: a folder with or without its '/', or the folder's model.json. */
export function modelFolderUrl(url: string | URL): string {
  const base = (globalThis as { location?: { href: string } }).location?.href;
  let folder: URL;
  try {
    folder = new URL(url, base);
  } catch {
    throw new Error(`loadModelFromUrl: '${String(url)}' is not a URL${base === undefined ? ' (relative URLs need a page to resolve against)' : ''}`);
  }
  if (folder.pathname.endsWith(`/${MODEL_JSON}`)) folder.pathname = folder.pathname.slice(0, -MODEL_JSON.length);
  else if (!folder.pathname.endsWith('/')) folder.pathname += '/';
  folder.search = '';
  folder.hash = '';
  return folder.href;
}

/**
 * Fetches `model.json`, `weights.bin` and `gendice.json` of the folder at `url` (nothing else) and loads
 * the model and its card (`loadModelFromArtifacts`'s checks). Errors name the URL of the file:
 * `loadModelFromUrl: http://host/m/weights.bin answered 404 Not Found`.
 */
export async function loadModelFromUrl(url: string | URL, options: LoadModelFromUrlOptions = {}): Promise<LoadedModel> {
  const fn = 'loadModelFromUrl';
  const folder = modelFolderUrl(url);
  const fetchFile = options.fetch ?? globalThis.fetch?.bind(globalThis);
  if (fetchFile === undefined) throw new Error(`${fn}: this platform has no fetch; pass options.fetch`);
  const get = async (name: string): Promise<FileContent> => {
    const fileUrl = `${folder}${name}`;
    let response: Response;
    try {
      response = await fetchFile(fileUrl);
    } catch (err) {
      throw new Error(`${fn}: ${fileUrl} could not be fetched (${(err as Error).message})`);
    }
    if (!response.ok) throw new Error(`${fn}: ${fileUrl} answered ${response.status} ${response.statusText}`.trimEnd());
    return name === WEIGHTS_BIN ? new Uint8Array(await response.arrayBuffer()) : await response.text();
  };
  const [json, weights, card] = await Promise.all(FOLDER_FILES.map(get));
  return loadModelFromArtifacts({ 'model.json': json!, 'weights.bin': weights!, 'gendice.json': card! }, folder, fn);
}

/** A picked file: a `File`, or any `Blob` with a `name`. */
export type NamedBlob = Blob & { readonly name: string };

/**
 * Loads a model and its card from picked files (an `<input type="file" multiple>`'s `FileList`, dropped
 * files, or `File`s made in code): `model.json`, `weights.bin` and `gendice.json`, or the three with one
 * common prefix (`brats-model.json`, ..., as `downloadModelFolder(model, card, 'brats-')` names them).
 * Other files are ignored; a missing file, or two candidates for one, is refused by name.
 */
export async function loadModelFromFiles(files: Iterable<NamedBlob> | ArrayLike<NamedBlob>): Promise<LoadedModel> {
  const fn = 'loadModelFromFiles';
  const list = Array.from(files as ArrayLike<NamedBlob>);
  const picked = `[${list.map((f) => `'${f.name}'`).join(', ')}]`;
  // The prefixes under which model.json was picked: '' for model.json itself.
  const prefixes = [...new Set(list.filter((f) => f.name.endsWith(MODEL_JSON)).map((f) => f.name.slice(0, -MODEL_JSON.length)))];
  const complete = prefixes.filter((p) => FOLDER_FILES.every((n) => list.some((f) => f.name === `${p}${n}`)));
  const prefix = complete.includes('') ? '' : complete.length === 1 ? complete[0]! : undefined;
  if (prefix === undefined) {
    if (complete.length > 1) throw new Error(`${fn}: the picked files ${picked} hold several model folders (${complete.map((p) => `'${p}'`).join(', ')}); pick one`);
    const near = prefixes.length === 1 ? prefixes[0]! : '';
    const missing = FOLDER_FILES.map((n) => `${near}${n}`).filter((n) => !list.some((f) => f.name === n));
    throw new Error(`${fn}: ${missing.join(', ')} missing among the picked files ${picked}; a model folder has ${FOLDER_FILES.join(', ')} (or the three with one prefix)`);
  }
  const file = (name: string): NamedBlob => {
    const matches = list.filter((f) => f.name === `${prefix}${name}`);
    if (matches.length > 1) throw new Error(`${fn}: ${prefix}${name} was picked twice; pick one model folder's files`);
    return matches[0]!;
  };
  const [json, weights, card] = await Promise.all([file(MODEL_JSON).text(), file(WEIGHTS_BIN).arrayBuffer(), file(MODEL_CARD).text()]);
  return loadModelFromArtifacts({ 'model.json': json, 'weights.bin': weights, 'gendice.json': card }, prefix, fn);
}

/**
 * Saves `model` with `card` through the browser's downloads as `<prefix>model.json`, `<prefix>weights.bin`
 * and `<prefix>gendice.json` (browsers save into one folder, so a prefix keeps several models apart;
 * `loadModelFromFiles` reads them with the prefix, `loadModel` in Node once renamed back). Returns the files.
 */
export async function downloadModelFolder(model: tf.LayersModel, card: ModelCard, prefix = ''): Promise<ModelFolderFiles> {
  const doc = (globalThis as { document?: Document }).document;
  if (doc === undefined) throw new Error('downloadModelFolder: needs a browser page (document); in Node use saveModel and writeModelCard');
  const files = await saveModelToArtifacts(model, card);
  for (const name of FOLDER_FILES) {
    const type = name === WEIGHTS_BIN ? 'application/octet-stream' : 'application/json';
    const href = URL.createObjectURL(new Blob([files[name] as BlobPart], { type }));
    const a = doc.createElement('a');
    a.href = href;
    a.download = `${prefix}${name}`;
    doc.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(href), 10_000);
  }
  return files;
}
