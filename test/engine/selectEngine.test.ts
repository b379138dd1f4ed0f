import * as tf from '@tensorflow/tfjs';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { ENGINE_ENV, engineInfo, resetEngine, selectEngine } from '../../src/engine/node/index.js';
import { ADDON_PATH_ENV } from '../../src/engine/node/addon.js';
import { addonLoads, NO_ADDON } from './_helpers.js';

const savedEnv = { engine: process.env[ENGINE_ENV], addon: process.env[ADDON_PATH_ENV] };
function restoreEnv(): void {
  for (const [k, v] of [[ENGINE_ENV, savedEnv.engine], [ADDON_PATH_ENV, savedEnv.addon]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
}
afterEach(() => {
  restoreEnv();
  vi.restoreAllMocks();
});
afterAll(() => resetEngine());

function captureStderr(): string[] {
  const lines: string[] = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  return lines;
}

describe('selectEngine', () => {
  it('falls back to wasm, saying why in one line, when the addon file is missing (option)', async () => {
    delete process.env[ENGINE_ENV];
    const lines = captureStderr();
    const info = await selectEngine({ addonPath: '/nonexistent/gendice_dnnl.node' });
    expect(info.engine).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.addon).toEqual({ path: '/nonexistent/gendice_dnnl.node', loaded: false, error: expect.stringContaining('not found') as string });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^gendice engine: wasm \(oneDNN addon unavailable .*not found/);
    expect(info.replacedKernels.map((k) => `${k.kernelName}@${k.backendName}`)).toEqual([
      'Concat@wasm',
      'Conv2D@wasm',
      'Conv2DBackpropFilter@wasm',
      'Conv2DBackpropInput@wasm',
      'Conv3D@wasm',
      'Conv3DBackpropFilterV2@wasm',
      'Conv3DBackpropInputV2@wasm',
      'FusedConv2D@wasm',
      'GendiceFusedConv2D@wasm',
      'GendiceFusedConv3D@wasm',
      'GendiceMaxout@wasm',
      'GendiceMaxoutGrad@wasm',
      'GendiceReluGrad@wasm',
      'Identity@wasm',
      'MaxPool3D@wasm',
      'MaxPool3DGrad@wasm',
      'MaxPoolGrad@wasm',
      'SplitV@wasm',
      'Sum@wasm',
    ]);
    // The fallback still trains: a conv2d gradient (Conv2DBackpropFilter is missing in stock wasm).
    const g = tf.tidy(() => tf.grad((w: tf.Tensor) => tf.conv2d(tf.ones([1, 4, 4, 1]) as tf.Tensor4D, w as tf.Tensor4D, 1, 'valid').sum())(tf.ones([3, 3, 1, 1])).dataSync());
    expect(Array.from(g)).toEqual(new Array(9).fill(4));
  });

  it('falls back to wasm when $GENDICE_NATIVE_ADDON points at a missing file', async () => {
    delete process.env[ENGINE_ENV];
    process.env[ADDON_PATH_ENV] = '/nonexistent/other.node';
    const info = await selectEngine({ quiet: true });
    expect(info.engine).toBe('wasm');
    expect(info.addon?.path).toBe('/nonexistent/other.node');
  });

  it('throws, naming the cause, when native is forced but the addon cannot load', async () => {
    await expect(selectEngine({ engine: 'native', addonPath: '/nonexistent/x.node', quiet: true })).rejects.toThrow(
      /selectEngine: engine 'native' was forced but the oneDNN addon did not load: addon not found at \/nonexistent\/x.node/,
    );
  });

  it('rejects an unknown $GENDICE_ENGINE with a suggestion', async () => {
    process.env[ENGINE_ENV] = 'wasn';
    await expect(selectEngine({ quiet: true })).rejects.toThrow("selectEngine: GENDICE_ENGINE 'wasn' is not an engine; did you mean 'wasm'?");
  });

  it('honours $GENDICE_ENGINE=cpu: stock kernels, nothing replaced', async () => {
    process.env[ENGINE_ENV] = 'cpu';
    const info = await selectEngine({ quiet: true });
    expect(info.engine).toBe('cpu');
    expect(info.backend).toBe('cpu');
    expect(info.replacedKernels).toEqual([]);
  });

  it('is idempotent: a second identical call prints nothing and changes nothing', async () => {
    delete process.env[ENGINE_ENV];
    const lines = captureStderr();
    const first = await selectEngine({ engine: 'wasm' });
    const second = await selectEngine({ engine: 'wasm' });
    expect(lines).toHaveLength(1);
    expect(second).toEqual(first);
    expect(engineInfo()).toEqual(first);
  });

  it.skipIf(!addonLoads)('picks native when the addon loads, with the oneDNN kernels and the JS kernels on cpu', async () => {
    delete process.env[ENGINE_ENV];
    delete process.env[ADDON_PATH_ENV];
    const lines = captureStderr();
    const info = await selectEngine();
    expect(info.engine).toBe('native');
    expect(info.backend).toBe('cpu');
    expect(info.dnnlVersion).toMatch(/^\d+\.\d+\.\d+$/);
    expect(lines[0]).toMatch(/^gendice engine: native \(oneDNN addon loaded: cpu backend with oneDNN/);
    const oneDnn = info.replacedKernels.filter((k) => k.source === 'oneDNN').map((k) => k.kernelName);
    expect(oneDnn).toEqual(['Conv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'Conv3D', 'Conv3DBackpropFilterV2', 'Conv3DBackpropInputV2', 'FusedConv2D', 'GendiceFusedConv2D', 'GendiceFusedConv3D']);
    // 29 JS kernels, the fused max-out pair and the fused softmax-overlap pair, the one-pass ReLU gradient,
    // plus Neg, Abs, Sqrt, Square which only the addon's loops replace.
    const js = info.replacedKernels.filter((k) => k.source === 'js').map((k) => k.kernelName);
    expect(js).toHaveLength(38);
    expect(js).toEqual(
      expect.arrayContaining(['Neg', 'Abs', 'Sqrt', 'Square', 'Exp', 'Log1p', 'Sigmoid', 'MaxPoolGrad', 'Sum', 'Maximum', 'GreaterEqual', 'Cast', 'Softmax', 'GendiceSoftmaxOverlap', 'GendiceSoftmaxOverlapGrad', 'GendiceReluGrad']),
    );
  });

  it.skipIf(addonLoads)(`native auto-selection case skipped: ${NO_ADDON}`, () => {
    expect(addonLoads).toBe(false);
  });

  it('resetEngine puts the stock kernels back', async () => {
    await selectEngine({ engine: 'wasm', quiet: true });
    resetEngine();
    expect(engineInfo().replacedKernels).toEqual([]);
    expect(engineInfo().engine).toBeUndefined();
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeUndefined();
  });
});
