import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { writeFileAtomic } from '../../common/node/atomicWrite.js';
import { MODEL_JSON, WEIGHTS_BIN, modelArtifactsOf, modelFromArtifacts, modelJsonOf, parseModelJson, weightBytesOf, type FolderNames } from '../modelFolder.js';

export { MODEL_JSON, WEIGHTS_BIN } from '../modelFolder.js';

/**
 * A TF.js `IOHandler` for a model directory in Node, without tfjs-node: `model.json` (topology and
 * weights manifest, the layout `tf.loadLayersModel` and the TF.js converter read) and one
 * `weights.bin` (the universal layout of networks/modelFolder.ts, which the browser's loaders read too).
 * Both files are written durably (temporary name, fsync, rename, fsync of the folder),
 * weights first, so an interrupted save leaves either the old model or a manifest whose byte count does
 * not match (refused on load). Where the folder must change as a unit (a checkpoint, a trained model
 * with its card), save into `writeFolderAtomic`'s temporary folder. Loading checks every file and names
 * the file and the problem.
 */
export function modelDirectory(dir: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      const manifest = modelJsonOf(artifacts, `modelDirectory: ${dir}`);
      const weights = weightBytesOf(artifacts);
      writeFileAtomic(join(dir, WEIGHTS_BIN), weights);
      writeFileAtomic(join(dir, MODEL_JSON), JSON.stringify(manifest));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },

    async load(): Promise<tf.io.ModelArtifacts> {
      const names = folderNames(dir);
      if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`loadModel: ${dir} is not a directory`);
      if (!existsSync(names.jsonName)) throw new Error(`loadModel: ${names.jsonName} is missing`);
      const text = readFileSync(names.jsonName, 'utf8');
      if (!existsSync(names.binName)) throw new Error(`loadModel: ${names.binName} is missing (${names.jsonName} expects ${parseModelJson(text, names).bytes} bytes)`);
      return modelArtifactsOf(text, readFileSync(names.binName), names);
    },
  };
}

function folderNames(dir: string): FolderNames {
  return { fn: 'loadModel', jsonName: join(dir, MODEL_JSON), binName: join(dir, WEIGHTS_BIN) };
}

/** Saves `model` to the directory `dir` (created if needed) as model.json + weights.bin. */
export async function saveModel(model: tf.LayersModel, dir: string): Promise<tf.io.SaveResult> {
  return model.save(modelDirectory(dir));
}

/**
 * Loads a model saved by `saveModel` (or any layers-model directory with one weights.bin, such as the
 * files `saveModelToArtifacts` gives in a browser). gendice's custom layers are registered and its missing
 * gradients installed first, so the model trains. Errors name the file and the problem: missing file,
 * invalid JSON, weight byte count mismatch, unknown layer class, weights that do not fit the topology.
 */
export async function loadModel(dir: string): Promise<tf.LayersModel> {
  return modelFromArtifacts(await modelDirectory(dir).load!(), folderNames(dir));
}
