import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, launchChromium, type BrowserPage } from './chromium.js';
import { compareAll, isNetworkCase, openEquivalencePage } from './equivalencePage.js';

// Each network, tiny, on TF.js's webgl backend (Chromium, WebGL2 through SwiftShader) against TF.js's cpu
// backend in the same page: the prediction, the GDL value and the gradient of every weight.
let page: BrowserPage | undefined;
let call: Awaited<ReturnType<typeof openEquivalencePage>>['call'];

beforeAll(async () => {
  if (hasChromium) ({ page, call } = await openEquivalencePage());
});

afterAll(async () => {
  await page?.close();
  if (hasChromium) await (await launchChromium()).close();
});

describe.skipIf(!hasChromium)('networks on webgl in Chromium', () => {
  it('every network (2D and 3D, batch and instance normalisation, max-out, dilations, up-sampling) equals cpu', async () => {
    const cases = (await call((api) => Promise.resolve(api.cases))).filter(isNetworkCase);
    for (const network of ['unet2d', 'twoPathCnn', 'deepMedic', 'highResNet', 'unet3d']) expect(cases.some((c) => c.startsWith(network))).toBe(true);
    expect(await compareAll(call, cases)).toEqual([]);
  });
});
