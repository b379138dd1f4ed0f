import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The universal engine only: this file must not import src/engine/node/ (or src/node.ts).
import { defaultEngineOrder, registeredEngines, resetEngine, selectEngine } from '../../src/engine/index.js';

// The automatic choice is under test: an engine forced through the environment (npm's test:fallback
// runs test/engine with GENDICE_ENGINE=wasm) is set aside for this file and put back after it.
const forcedByEnvironment = process.env.GENDICE_ENGINE;
beforeAll(() => {
  delete process.env.GENDICE_ENGINE;
});
afterAll(() => {
  resetEngine();
  if (forcedByEnvironment !== undefined) process.env.GENDICE_ENGINE = forcedByEnvironment;
});

describe('selectEngine from the universal entry (no Node engines registered)', () => {
  it('registers cpu, webgl and webgpu, and orders native, wasm, cpu under Node', () => {
    expect(registeredEngines()).toEqual(['cpu', 'webgl', 'webgpu']);
    expect(defaultEngineOrder()).toEqual(['native', 'wasm', 'cpu']);
  });

  it('chooses cpu automatically and says that native and wasm need gendice/node when forced', async () => {
    const info = await selectEngine({ quiet: true });
    expect(info.engine).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    await expect(selectEngine({ engine: 'native', quiet: true })).rejects.toThrow(
      "selectEngine: engine 'native' is not available in this entry (registered: cpu, webgl, webgpu); import 'gendice/node' for native and wasm",
    );
  });

  it('names the cause when webgl is forced where TF.js has no WebGL backend (Node)', async () => {
    await expect(selectEngine({ engine: 'webgl', quiet: true })).rejects.toThrow(
      "selectEngine: engine 'webgl' was forced but the WebGL backend did not load: TF.js has no 'webgl' backend in this build",
    );
  });

  it('rejects an unknown engine name with a suggestion', async () => {
    await expect(selectEngine({ engine: 'webgll' as never, quiet: true })).rejects.toThrow("selectEngine: option engine 'webgll' is not an engine; did you mean 'webgl'?");
  });
});
