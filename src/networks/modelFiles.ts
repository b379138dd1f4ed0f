import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { writeFileAtomic } from '../common/atomicWrite.js';
import { installMissingGradients } from '../engine/gradients/index.js';
import './layers/index.js';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

/**
 * A TF.js `IOHandler` for a model directory in Node, without tfjs-node: `model.json` (topology and
 * weights manifest, the layout `tf.loadLayersModel` and the TF.js converter read) and one
 * `weights.bin`. Both files are written durably (temporary name, fsync, rename, fsync of the folder),
 * weights first, so an interrupted save leaves either the old model or a manifest whose byte count does
 * not match (refused on load). Where the folder must change as a unit (a checkpoint, a trained model
 * with its card), save into `writeFolderAtomic`'s temporary folder. Loading checks every file and names
 * the file and the problem.
 */
export function modelDirectory(dir: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw new Error(`modelDirectory: ${dir}: binary (GraphDef) topologies are not supported`);
      }
      const specs = artifacts.weightSpecs ?? [];
      const weights = artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      const manifest: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as tf.io.ModelJSON['modelTopology'],
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_layers}`,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: specs }],
      };
      if (artifacts.trainingConfig !== undefined) manifest.trainingConfig = artifacts.trainingConfig;
      if (artifacts.userDefinedMetadata !== undefined) manifest.userDefinedMetadata = artifacts.userDefinedMetadata;
      writeFileAtomic(join(dir, WEIGHTS_BIN), new Uint8Array(weights));
      writeFileAtomic(join(dir, MODEL_JSON), JSON.stringify(manifest));
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          modelTopologyBytes: JSON.stringify(manifest.modelTopology).length,
          weightSpecsBytes: JSON.stringify(specs).length,
          weightDataBytes: weights.byteLength,
        },
      };
    },

    async load(): Promise<tf.io.ModelArtifacts> {
      const jsonPath = join(dir, MODEL_JSON);
      const binPath = join(dir, WEIGHTS_BIN);
      if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`loadModel: ${dir} is not a directory`);
      if (!existsSync(jsonPath)) throw new Error(`loadModel: ${jsonPath} is missing`);
      let manifest: Partial<tf.io.ModelJSON>;
      try {
        manifest = JSON.parse(readFileSync(jsonPath, 'utf8')) as Partial<tf.io.ModelJSON>;
      } catch (err) {
        throw new Error(`loadModel: ${jsonPath} is not valid JSON (${(err as Error).message})`);
      }
      if (typeof manifest !== 'object' || manifest === null || typeof manifest.modelTopology !== 'object' || manifest.modelTopology === null) {
        throw new Error(`loadModel: ${jsonPath} has no modelTopology object`);
      }
      const groups = manifest.weightsManifest;
      if (!Array.isArray(groups)) throw new Error(`loadModel: ${jsonPath} has no weightsManifest list`);
      const specs: tf.io.WeightsManifestEntry[] = [];
      for (const group of groups) {
        if (!Array.isArray(group.weights) || !Array.isArray(group.paths)) {
          throw new Error(`loadModel: ${jsonPath}: a weightsManifest entry lacks 'paths' or 'weights'`);
        }
        for (const p of group.paths) {
          if (p !== `./${WEIGHTS_BIN}` && p !== WEIGHTS_BIN) {
            throw new Error(`loadModel: ${jsonPath} refers to weight file '${p}'; only ${WEIGHTS_BIN} is supported`);
          }
        }
        specs.push(...group.weights);
      }
      let expected = 0;
      for (const spec of specs) {
        const bytesPer = spec.dtype === 'float32' || spec.dtype === 'int32' ? 4 : spec.dtype === 'bool' ? 1 : NaN;
        if (Number.isNaN(bytesPer) || spec.quantization !== undefined) {
          throw new Error(`loadModel: ${jsonPath}: weight '${spec.name}' has unsupported dtype/quantization '${spec.dtype}'`);
        }
        expected += spec.shape.reduce((a, b) => a * b, 1) * bytesPer;
      }
      if (!existsSync(binPath)) throw new Error(`loadModel: ${binPath} is missing (${jsonPath} expects ${expected} bytes)`);
      const bytes = readFileSync(binPath);
      if (bytes.byteLength !== expected) {
        throw new Error(
          `loadModel: ${binPath} has ${bytes.byteLength} bytes but ${jsonPath} describes ${specs.length} weights of ${expected} bytes (damaged or from another model)`,
        );
      }
      const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      const artifacts: tf.io.ModelArtifacts = {
        modelTopology: manifest.modelTopology,
        weightSpecs: specs,
        weightData,
      };
      if (manifest.format !== undefined) artifacts.format = manifest.format;
      if (manifest.generatedBy !== undefined) artifacts.generatedBy = manifest.generatedBy;
      if (manifest.convertedBy !== undefined && manifest.convertedBy !== null) artifacts.convertedBy = manifest.convertedBy;
      if (manifest.trainingConfig !== undefined) artifacts.trainingConfig = manifest.trainingConfig;
      if (manifest.userDefinedMetadata !== undefined) artifacts.userDefinedMetadata = manifest.userDefinedMetadata;
      return artifacts;
    },
  };
}

/** Saves `model` to the directory `dir` (created if needed) as model.json + weights.bin. */
export async function saveModel(model: tf.LayersModel, dir: string): Promise<tf.io.SaveResult> {
  return model.save(modelDirectory(dir));
}

/**
 * Loads a model saved by `saveModel` (or any layers-model directory with one weights.bin). gendice's
 * custom layers are registered and its missing gradients installed first, so the model trains.
 * Errors name the file and the problem: missing file, invalid JSON, weight byte count mismatch,
 * unknown layer class, weights that do not fit the topology.
 */
export async function loadModel(dir: string): Promise<tf.LayersModel> {
  installMissingGradients();
  try {
    return await tf.loadLayersModel(modelDirectory(dir));
  } catch (err) {
    const message = (err as Error).message;
    if (message.startsWith('loadModel:')) throw err;
    throw new Error(`loadModel: ${join(dir, MODEL_JSON)} does not describe a loadable model: ${message}`);
  }
}
