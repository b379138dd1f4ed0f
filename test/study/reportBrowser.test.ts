import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReport, type ReportFiles } from '../../src/study/report/node/index.js';
import type { TrialParameters } from '../../src/study/types.js';
import { HIGHRESNET, makeStudy, paperLikeOutcome, TWOPATH, UNET2D, type FixtureOutcome } from './reportFixture.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) process.stderr.write(`reportBrowser.test: skipped, ${CHROMIUM} is absent (Debian package 'chromium')\n`);

/** Where the screenshot of the page is kept for a human look (GENDICE_REPORT_SCREENSHOT=path). */
const screenshotPath = process.env.GENDICE_REPORT_SCREENSHOT;

const dir = mkdtempSync(join(tmpdir(), 'gendice-report-browser-'));
let browser: Browser | undefined;
let report: ReportFiles;

const outcome = (p: TrialParameters, i: number): FixtureOutcome => (p.network === 'highResNet' && p.learningRate === 1e-5 && p.seed === 2 ? 'pending' : paperLikeOutcome(p, i));

beforeAll(async () => {
  report = await writeReport(dir, makeStudy({ networks: [UNET2D, TWOPATH, HIGHRESNET], outcome, seeds: [1, 2], testCases: 5 }));
  if (hasChromium) {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--headless', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }
});

afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!hasChromium)('the HTML report in headless Chromium', () => {
  it('shows the findings table, every figure with a non-zero size, and the trials table', async () => {
    const page = await browser!.newPage({ viewport: { width: 1400, height: 1000 } });
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(pathToFileURL(report.html).href, { waitUntil: 'load' });

    expect(await page.title()).toBe('gendice study report: fixture');
    const findings = page.locator('#findings tbody tr.finding');
    expect(await findings.count()).toBe(6);
    expect(await findings.locator('td.holds').allTextContents()).toEqual(report.findings.map((f) => f.holds));
    expect(await findings.nth(0).locator('td').nth(1).textContent()).toBe(report.findings[0]!.statement);

    const names = ['dice-heatmap-unet2d', 'dice-heatmap-twoPathCnn', 'dice-heatmap-highResNet', 'test-dice', 'learning-curves-unet2d', 'learning-curves-twoPathCnn', 'learning-curves-highResNet'];
    for (const name of names) {
      const svg = page.locator(`#fig-${name} > svg`);
      expect(await svg.count(), name).toBe(1);
      const box = await svg.boundingBox();
      expect(box, name).not.toBeNull();
      expect(box!.width, name).toBeGreaterThan(300);
      expect(box!.height, name).toBeGreaterThan(150);
      // Vega drew marks into it (rects for heatmaps and boxes, paths for lines).
      expect(await svg.locator('path, rect, line').count(), name).toBeGreaterThan(20);
    }
    expect(await page.locator('figure svg').count()).toBe(names.length);

    const trials = page.locator('#trials tbody tr.trial');
    expect(await trials.count()).toBe(3 * 4 * 3 * 3 * 2);
    expect(await page.locator('#trials td.state-pending').count()).toBe(4 * 3);

    // Nothing but the page itself was loaded: no external URL, no script errors.
    expect(requests).toEqual([pathToFileURL(report.html).href]);
    expect(errors).toEqual([]);

    const png = await page.screenshot({ fullPage: false, ...(screenshotPath !== undefined ? { path: screenshotPath } : {}) });
    expect([...png.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    await page.close();
  });
});
