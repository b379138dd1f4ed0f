import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, launchChromium, type BrowserPage } from './chromium.js';
import { compareAll, isNetworkCase, openEquivalencePage } from './equivalencePage.js';

// Every layer, gradient and loss gendice registers (networks: webglNetworks.test.ts), on TF.js's webgl backend (Chromium, WebGL2 through
// SwiftShader) against TF.js's cpu backend in the same page, and a short training run on webgl.
if (!hasChromium) process.stderr.write('webgl.test: skipped, /usr/bin/chromium is absent (Debian package chromium)\n');

let page: BrowserPage | undefined;
let call: Awaited<ReturnType<typeof openEquivalencePage>>['call'];

beforeAll(async () => {
  if (!hasChromium) return;
  ({ page, call } = await openEquivalencePage());
});

afterAll(async () => {
  await page?.close();
  if (hasChromium) await (await launchChromium()).close();
});

describe.skipIf(!hasChromium)('webgl in Chromium', () => {
  it('has WebGL2 with float32 textures, and default optimizers get epsilon 1e-7 as on cpu', async () => {
    const p = await call((api) => api.precision());
    expect(p.backend).toBe('webgl');
    expect(p.webglVersion).toBe(2);
    expect(p.renderFloat32).toBe(true);
    expect(p.gradients.webglPrecisionFixed).toBe(true);
    expect(p.gradients.webglKernels).toEqual(['PadV2']);
    // TF.js 4.22 reports 1e-4 here (floatPrecision() says 16 on float32 devices): Adam then stalls on GDL.
    expect(p.backendEpsilon).toBe(1e-7);
    expect(p.adamEpsilon).toBe(1e-7);
  });

  it('compares every layer, registered gradient and loss against cpu within float32 tolerance, with no tensor leak', async () => {
    const cases = (await call((api) => Promise.resolve(api.cases))).filter((c) => !isNetworkCase(c));
    expect(cases.length).toBeGreaterThanOrEqual(20);
    expect(await compareAll(call, cases)).toEqual([]);
  });

  it('trains a U-Net on webgl with GDL and a default Adam as on cpu: the loss falls and the Dice rises', async () => {
    const steps = 30;
    const webgl = await call((api, n: number) => api.train('webgl', n), steps);
    const cpu = await call((api, n: number) => api.train('cpu', n), steps);
    const first = webgl.losses[0]!;
    const last = webgl.losses[steps - 1]!;
    process.stderr.write(
      `webgl training: loss ${first.toFixed(3)} -> ${last.toFixed(3)}, Dice ${webgl.diceBefore.toFixed(3)} -> ${webgl.diceAfter.toFixed(3)}, ${webgl.ms.toFixed(0)} ms (cpu ${cpu.ms.toFixed(0)} ms)\n`,
    );
    expect(webgl.losses.every(Number.isFinite)).toBe(true);
    expect(last).toBeLessThan(first - 0.1);
    expect(webgl.diceAfter).toBeGreaterThan(0.8);
    expect(webgl.diceAfter).toBeGreaterThan(webgl.diceBefore + 0.5);
    // The same trajectory as cpu, step by step (with TF.js's epsilon 1e-4 on webgl it drifts from step 2 on).
    const drift = Math.max(...webgl.losses.map((l, i) => Math.abs(l - cpu.losses[i]!)));
    expect(drift).toBeLessThan(2e-3);
    expect(Math.abs(webgl.diceAfter - cpu.diceAfter)).toBeLessThan(0.05);
  });
});
