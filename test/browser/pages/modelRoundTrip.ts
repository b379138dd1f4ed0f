/**
 * Page of test/browser/modelRoundTrip.test.ts. It loads the browser build (/gendice.js, what
 * `npm run build` writes) and puts on `globalThis.roundTrip` what the test calls: load a Node-saved
 * model folder from a URL or from picked files and predict on webgl and cpu; build, perturb and save a
 * model as the three files for Node.
 */
import type * as gendiceBrowser from '../../../src/browser.js';
import { caseCard, caseImage, caseOptions, perturbWeights, ROUND_TRIP_CASES, TRAINED_CASE, type RoundTripCase } from './modelRoundTripCases.js';

type Gendice = typeof gendiceBrowser;
const entry = '/gendice.js';
const g = (await import(/* @vite-ignore */ entry)) as Gendice;

/** A prediction as plain arrays (what page.evaluate can hand back). */
export interface PagePrediction {
  backend: string;
  probabilities: number[];
  labels: number[];
  windows: number;
}

const byName = (name: string): RoundTripCase => {
  const c = [...ROUND_TRIP_CASES, TRAINED_CASE].find((k) => k.name === name);
  if (c === undefined) throw new Error(`no case '${name}'`);
  return c;
};

function predict(model: import('@tensorflow/tfjs').LayersModel, card: import('../../../src/networks/modelCard.js').ModelCard, c: RoundTripCase): PagePrediction {
  const image = g.createVolume(caseImage(c), c.image, { channels: c.inputChannels });
  const p = g.predictVolume(model, card, image);
  return { backend: g.tf.getBackend(), probabilities: Array.from(p.probabilities.data), labels: Array.from(p.labels.data), windows: p.windows };
}

/** Loads the folder at `url` on each backend and predicts the case's image. */
async function fromUrl(name: string, url: string, backends: ('webgl' | 'cpu')[]): Promise<PagePrediction[]> {
  const out: PagePrediction[] = [];
  for (const engine of backends) {
    await g.selectEngine({ engine, quiet: true });
    const { model, card } = await g.loadModelFromUrl(url);
    out.push(predict(model, card, byName(name)));
    model.dispose();
  }
  return out;
}

/** The example of docs/browser.md as it stands: default engine, a relative folder URL, a .nii.gz fetched and parsed. */
async function docsExample(folder: string, nifti: string): Promise<PagePrediction & { engine: string }> {
  const { engine } = await g.selectEngine();
  const { model, card } = await g.loadModelFromUrl(folder);
  const image = g.parseNifti(new Uint8Array(await (await fetch(nifti)).arrayBuffer()), nifti);
  const { labels, probabilities, windows } = g.predictVolume(model, card, image);
  model.dispose();
  return { engine: String(engine), backend: g.tf.getBackend(), probabilities: Array.from(probabilities.data), labels: Array.from(labels.data), windows };
}

/** Fetches the folder's files, makes `File`s of them (as an <input type=file> gives) and loads those, on cpu. */
async function fromFiles(name: string, url: string, leaveOut?: string, prefix = ''): Promise<PagePrediction> {
  await g.selectEngine({ engine: 'cpu', quiet: true });
  const files: File[] = [new File(['{}'], 'notes.txt')];
  for (const file of ['model.json', 'weights.bin', 'gendice.json']) {
    if (file !== leaveOut) files.push(new File([await (await fetch(`${url}${file}`)).arrayBuffer()], `${prefix}${file}`));
  }
  const { model, card } = await g.loadModelFromFiles(files);
  const p = predict(model, card, byName(name));
  model.dispose();
  return p;
}

/** Builds the case's network in the page, perturbs it, predicts on webgl, and saves it as the three files. */
async function build(name: string): Promise<{ files: { json: string; weights: number[]; card: string }; prediction: PagePrediction }> {
  const c = byName(name);
  await g.selectEngine({ engine: 'webgl', quiet: true });
  const model = g.getNetwork(c.network, caseOptions(c));
  perturbWeights(g.tf, model, 1000);
  const card = caseCard(c);
  const prediction = predict(model, card, c);
  const files = await g.saveModelToArtifacts(model, card);
  model.dispose();
  return { files: { json: files['model.json'], weights: Array.from(files['weights.bin']), card: files['gendice.json'] }, prediction };
}

/** Builds the case's network as `build` does and saves it through the browser's downloads, names prefixed. */
async function download(name: string, prefix: string): Promise<number> {
  const c = byName(name);
  await g.selectEngine({ engine: 'cpu', quiet: true });
  const model = g.getNetwork(c.network, caseOptions(c));
  perturbWeights(g.tf, model, 1000);
  const files = await g.downloadModelFolder(model, caseCard(c), prefix);
  model.dispose();
  return files['weights.bin'].byteLength;
}

/** The error (name and message) that loading `url` gives. */
async function loadError(url: string): Promise<{ name: string; message: string }> {
  try {
    await g.loadModelFromUrl(url);
  } catch (err) {
    return { name: (err as Error).name, message: (err as Error).message };
  }
  return { name: 'none', message: 'loaded' };
}

async function filesError(name: string, url: string, leaveOut: string): Promise<string> {
  try {
    await fromFiles(name, url, leaveOut);
  } catch (err) {
    return (err as Error).message;
  }
  return 'loaded';
}

Object.assign(globalThis, { roundTrip: { fromUrl, fromFiles, build, download, docsExample, loadError, filesError } });
(globalThis as { gendiceReady?: boolean }).gendiceReady = true;
