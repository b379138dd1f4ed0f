import * as tf from '@tensorflow/tfjs';
import { installMissingGradients } from '../engine/gradients/index.js';
import { MODEL_CARD, modelCardJson, parseModelCard, type ModelCard } from './modelCard.js';
import './layers/index.js';

/**
 * A gendice model folder in memory, universal (Node and browsers): `model.json` (the TF.js layers-model
 * topology and weights manifest), `weights.bin` (every weight, in the manifest's order) and `gendice.json`
 * (the model card). `saveModel`/`loadModel` (Node, networks/node/modelFiles.ts) write and read the first two
 * on disk with the same manifest; the browser's loaders (modelSources.ts) fetch or read them.
 */
export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

/** The three files of a model folder, by name, as `saveModelToArtifacts` gives them. */
export interface ModelFolderFiles {
  'model.json': string;
  'weights.bin': Uint8Array;
  'gendice.json': string;
}

/** File contents as a loader may receive them (text, bytes, or an ArrayBuffer). */
export type FileContent = string | Uint8Array | ArrayBuffer;

/** A loaded model and its card. */
export interface LoadedModel {
  model: tf.LayersModel;
  card: ModelCard;
}

/** The manifest (`model.json`) gendice writes for `artifacts`: one weights group in `./weights.bin`. */
export function modelJsonOf(artifacts: tf.io.ModelArtifacts, fn: string): tf.io.ModelJSON {
  if (artifacts.modelTopology instanceof ArrayBuffer) throw new Error(`${fn}: binary (GraphDef) topologies are not supported`);
  const manifest: tf.io.ModelJSON = {
    modelTopology: artifacts.modelTopology as tf.io.ModelJSON['modelTopology'],
    format: artifacts.format ?? 'layers-model',
    generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_layers}`,
    convertedBy: artifacts.convertedBy ?? null,
    weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs ?? [] }],
  };
  if (artifacts.trainingConfig !== undefined) manifest.trainingConfig = artifacts.trainingConfig;
  if (artifacts.userDefinedMetadata !== undefined) manifest.userDefinedMetadata = artifacts.userDefinedMetadata;
  return manifest;
}

/** The weights of `artifacts` as one byte array. */
export function weightBytesOf(artifacts: tf.io.ModelArtifacts): Uint8Array {
  return artifacts.weightData === undefined ? new Uint8Array(0) : new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData));
}

/** Where the files of one folder are, for errors: `jsonName` names model.json, `binName` weights.bin. */
export interface FolderNames {
  fn: string;
  jsonName: string;
  binName: string;
}

/**
 * The weights manifest of `model.json` text, checked: a topology object, a weightsManifest list whose
 * paths are all `weights.bin`, float32/int32/bool weights without quantisation. Returns the manifest,
 * the weight specs and the byte count they need.
 */
export function parseModelJson(text: string, { fn, jsonName }: FolderNames): { manifest: tf.io.ModelJSON; specs: tf.io.WeightsManifestEntry[]; bytes: number } {
  let manifest: Partial<tf.io.ModelJSON>;
  try {
    manifest = JSON.parse(text) as Partial<tf.io.ModelJSON>;
  } catch (err) {
    throw new Error(`${fn}: ${jsonName} is not valid JSON (${(err as Error).message})`);
  }
  if (typeof manifest !== 'object' || manifest === null || typeof manifest.modelTopology !== 'object' || manifest.modelTopology === null) {
    throw new Error(`${fn}: ${jsonName} has no modelTopology object`);
  }
  const groups = manifest.weightsManifest;
  if (!Array.isArray(groups)) throw new Error(`${fn}: ${jsonName} has no weightsManifest list`);
  const specs: tf.io.WeightsManifestEntry[] = [];
  for (const group of groups) {
    if (!Array.isArray(group.weights) || !Array.isArray(group.paths)) throw new Error(`${fn}: ${jsonName}: a weightsManifest entry lacks 'paths' or 'weights'`);
    for (const p of group.paths) {
      if (p !== `./${WEIGHTS_BIN}` && p !== WEIGHTS_BIN) throw new Error(`${fn}: ${jsonName} refers to weight file '${p}'; only ${WEIGHTS_BIN} is supported`);
    }
    specs.push(...group.weights);
  }
  let bytes = 0;
  for (const spec of specs) {
    const bytesPer = spec.dtype === 'float32' || spec.dtype === 'int32' ? 4 : spec.dtype === 'bool' ? 1 : Number.NaN;
    if (Number.isNaN(bytesPer) || spec.quantization !== undefined) {
      throw new Error(`${fn}: ${jsonName}: weight '${spec.name}' has unsupported dtype/quantization '${spec.dtype}'`);
    }
    bytes += spec.shape.reduce((a, b) => a * b, 1) * bytesPer;
  }
  return { manifest: manifest as tf.io.ModelJSON, specs, bytes };
}

/** TF.js model artifacts from the checked manifest and the weights, refusing a byte count that does not match. */
export function modelArtifactsOf(text: string, weights: Uint8Array, names: FolderNames): tf.io.ModelArtifacts {
  const { manifest, specs, bytes } = parseModelJson(text, names);
  if (weights.byteLength !== bytes) {
    throw new Error(
      `${names.fn}: ${names.binName} has ${weights.byteLength} bytes but ${names.jsonName} describes ${specs.length} weights of ${bytes} bytes (damaged or from another model)`,
    );
  }
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology: manifest.modelTopology,
    weightSpecs: specs,
    weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer,
  };
  if (manifest.format !== undefined) artifacts.format = manifest.format;
  if (manifest.generatedBy !== undefined) artifacts.generatedBy = manifest.generatedBy;
  if (manifest.convertedBy !== undefined && manifest.convertedBy !== null) artifacts.convertedBy = manifest.convertedBy;
  if (manifest.trainingConfig !== undefined) artifacts.trainingConfig = manifest.trainingConfig;
  if (manifest.userDefinedMetadata !== undefined) artifacts.userDefinedMetadata = manifest.userDefinedMetadata;
  return artifacts;
}

/**
 * Builds the model from checked artifacts, gendice's layers registered and gradients installed (so it
 * trains); an unknown layer class or weights that do not fit become `fn: jsonName does not describe a loadable model: ...`.
 */
export async function modelFromArtifacts(artifacts: tf.io.ModelArtifacts, { fn, jsonName }: FolderNames): Promise<tf.LayersModel> {
  installMissingGradients();
  try {
    return await tf.loadLayersModel({ load: async () => artifacts });
  } catch (err) {
    throw new Error(`${fn}: ${jsonName} does not describe a loadable model: ${(err as Error).message}`);
  }
}

const text = (content: FileContent): string => (typeof content === 'string' ? content : new TextDecoder().decode(content));
const bytesOf = (content: FileContent): Uint8Array => (typeof content === 'string' ? new TextEncoder().encode(content) : content instanceof Uint8Array ? content : new Uint8Array(content));

/** The card's text checked: valid JSON and a valid card (`parseModelCard`), named by `cardName`. */
export function parseModelCardText(content: FileContent, fn: string, cardName: string): ModelCard {
  let value: unknown;
  try {
    value = JSON.parse(text(content));
  } catch (err) {
    throw new Error(`${fn}: ${cardName} is not valid JSON (${(err as Error).message})`);
  }
  return parseModelCard(value, cardName);
}

/** Refuses a card whose classes or input channels differ from the model's output and input channels. */
export function checkCardFitsModel(model: tf.LayersModel, card: ModelCard, fn: string, cardName: string): void {
  const inputChannels = model.inputs[0]?.shape.at(-1);
  const classes = model.outputs[0]?.shape.at(-1);
  if (inputChannels !== card.inputChannels || classes !== card.classes) {
    throw new Error(
      `${fn}: ${cardName} says ${card.inputChannels} input channel(s) and ${card.classes} classes, but the model takes ${String(inputChannels)} and gives ${String(classes)} (a card from another model?)`,
    );
  }
}

/**
 * A model and its card from the three files' contents (text, bytes or ArrayBuffers), as fetched or read
 * by the caller. `source` prefixes the file names in errors (a folder, a URL). Checks everything the Node
 * loader checks, the card, and that the card fits the model.
 */
export async function loadModelFromArtifacts(files: Record<keyof ModelFolderFiles, FileContent>, source = '', fn = 'loadModelFromArtifacts'): Promise<LoadedModel> {
  const names: FolderNames = { fn, jsonName: `${source}${MODEL_JSON}`, binName: `${source}${WEIGHTS_BIN}` };
  for (const name of [MODEL_JSON, WEIGHTS_BIN, MODEL_CARD] as const) {
    if (files[name] === undefined) throw new Error(`${fn}: ${source}${name} is missing; a model folder has ${MODEL_JSON}, ${WEIGHTS_BIN} and ${MODEL_CARD}`);
  }
  const cardName = `${source}${MODEL_CARD}`;
  const card = parseModelCardText(files[MODEL_CARD], fn, cardName);
  const model = await modelFromArtifacts(modelArtifactsOf(text(files[MODEL_JSON]), bytesOf(files[WEIGHTS_BIN]), names), names);
  try {
    checkCardFitsModel(model, card, fn, cardName);
  } catch (err) {
    model.dispose();
    throw err;
  }
  return { model, card };
}

/**
 * The three files of `model` with `card`, byte for byte what `saveModel` and `writeModelCard` write in
 * Node (through `tf.io.withSaveHandler`): write them to a folder and `loadModel`/`readModelCard` read it.
 * The card is checked first, and against the model.
 */
export async function saveModelToArtifacts(model: tf.LayersModel, card: ModelCard): Promise<ModelFolderFiles> {
  const fn = 'saveModelToArtifacts';
  const checked = parseModelCard(card, `the card given to ${fn}`);
  checkCardFitsModel(model, checked, fn, 'the card');
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  if (captured === undefined) throw new Error(`${fn}: TF.js gave no artifacts`);
  return { 'model.json': JSON.stringify(modelJsonOf(captured, fn)), 'weights.bin': weightBytesOf(captured), 'gendice.json': modelCardJson(checked) };
}
