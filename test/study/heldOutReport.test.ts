import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNifti } from '../../src/data/node/niftiFiles.js';
import { expandGrid, parseStudyConfig } from '../../src/study/grid.js';
import { readHeldOutPredictions } from '../../src/study/node/heldOutPredictions.js';
import { openStudy, readStudy, trialDir } from '../../src/study/node/store.js';
import { runTrial } from '../../src/study/node/trial.js';
import { studyMarkdown } from '../../src/study/report/index.js';
import { writeReport } from '../../src/study/report/node/index.js';
import { hasChromium, launchChromium } from '../browser/chromium.js';
import { decodePng, isPredictionTint, isReferenceColour } from './pngPixels.js';
import { makeStudy, UNET2D } from './reportFixture.js';

const root = mkdtempSync(join(tmpdir(), 'gendice-heldout-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// A tiny real study: two losses, one trial each, 3 held-out test cases of 32×32 phantoms.
const study = parseStudyConfig({
  name: 'tiny-pictures',
  data: { synthetic: { dims: 2, cases: 8, size: 32, foregroundFraction: 0.04, lesionShape: 'blobs' }, validationFraction: 0.125, testFraction: 0.375 },
  networks: [{ name: 'unet2d', options: { depth: 2, baseFilters: 4 }, patches: [{ patchSize: [32, 32], batchSize: 2 }] }],
  losses: [{ name: 'gdl' }, { name: 'dl2' }],
  learningRates: [0.01],
  seeds: [1],
  iterations: 12,
  scoreWindow: 4,
});
const dir = join(root, 'study');

beforeAll(async () => {
  openStudy(dir, study);
  for (const t of expandGrid(study)) await runTrial(dir, study, t.id, t.parameters);
}, 180_000);

describe('held-out predictions of a trial', () => {
  it('are stored as uint8 label maps with the Dice the record holds', async () => {
    for (const t of readStudy(dir).trials) {
      const index = readHeldOutPredictions(trialDir(dir, t.id))!;
      expect(index.cases).toHaveLength(3);
      expect(index.cases.map((c) => c.dice)).toEqual(t.record!.testDice);
      for (const c of index.cases) {
        const v = await readNifti(join(trialDir(dir, t.id), 'predictions', c.file));
        expect(v.datatype).toBe('uint8');
        expect(v.shape).toEqual([32, 32]);
        expect(c.shape).toEqual([32, 32]);
        expect(Math.max(...v.data)).toBeLessThanOrEqual(1);
      }
    }
  });
});

describe('report pictures', () => {
  it('draws the best, median and worst case of each loss, with the reference where the lesion is', async () => {
    const results = readStudy(dir);
    const report = await writeReport(dir, results);
    const { pictures, note, views } = report.pictures;
    expect(note).toBeNull();
    expect(pictures.map((p) => `${p.loss} ${p.rank}`)).toEqual(['dl2 best', 'dl2 median', 'dl2 worst', 'gdl best', 'gdl median', 'gdl worst']);
    for (const t of results.trials) {
      const dice = readHeldOutPredictions(trialDir(dir, t.id))!.cases.map((c) => c.dice!).sort((a, b) => b - a);
      const mine = pictures.filter((p) => p.trial === t.id);
      expect(mine.map((p) => p.dice)).toEqual(dice);
      expect(views[t.id]).toHaveLength(3);
      expect(views[t.id]![0]).toMatch(/^gendice view --image report\/cases\/[0-9a-f]{8}\/phantom_\d{3}_image\.nii\.gz --label report\/cases\/[0-9a-f]{8}\/phantom_\d{3}_label\.nii\.gz --pred trials\/.+\/predictions\/phantom_\d{3}\.nii\.gz$/);
      // The commands' files exist (relative to the study folder).
      for (const path of views[t.id]![0]!.match(/\S+\.nii\.gz/g)!) expect(existsSync(join(dir, path)), path).toBe(true);
    }
    for (const p of pictures) {
      const file = join(dir, 'report', p.file);
      expect(report.figures).toContain(file);
      const png = new Uint8Array(readFileSync(file));
      expect(p.src).toBe(`data:image/png;base64,${Buffer.from(png).toString('base64')}`);
      const pixels = decodePng(png);
      const view = views[p.trial]!.find((v) => v.includes(`/${p.case}_label`))!;
      const reference = await readNifti(join(dir, view.match(/--label (\S+)/)![1]!));
      const prediction = await readNifti(join(dir, view.match(/--pred (\S+)/)![1]!));
      // Voxel (i, j) is drawn at x in [i·8, i·8 + 8), y from the top: 22 + (31 - j)·8 (256 px for 32 voxels).
      const centre = (i: number, j: number): [number, number] => [i * 8 + 4, 22 + (31 - j) * 8 + 4];
      let referenceDrawn = 0;
      let predictionDrawn = 0;
      let predicted = 0;
      for (let j = 0; j < 32; j++) {
        for (let i = 0; i < 32; i++) {
          const n = i + 32 * j;
          if (reference.data[n]! > 0 && !(reference.data[n - 1]! > 0)) {
            // The left edge of a lesion voxel whose left neighbour is background carries the contour.
            if (isReferenceColour(pixels.at(i * 8, centre(i, j)[1]))) referenceDrawn++;
          }
          if (prediction.data[n]! > 0) {
            predicted++;
            if (isPredictionTint(pixels.at(...centre(i, j)))) predictionDrawn++;
          }
          if (reference.data[n] === 0 && prediction.data[n] === 0 && i > 0 && i < 31 && j > 0 && j < 31) {
            const around = [n - 1, n + 1, n - 32, n + 32].some((m) => reference.data[m]! > 0);
            if (!around) {
              const [r, g, b] = pixels.at(...centre(i, j));
              expect(r === g && g === b, `${p.file}: voxel ${i},${j} is not grey`).toBe(true);
            }
          }
        }
      }
      expect(referenceDrawn, p.file).toBeGreaterThan(0);
      expect(predictionDrawn, p.file).toBe(predicted);
      if (p.dice > 0) expect(predicted, `${p.file}: a case with Dice ${p.dice} predicts foreground`).toBeGreaterThan(0);
    }
    const html = readFileSync(report.html, 'utf8');
    expect(html).toContain('Held-out cases: prediction and reference');
    expect((html.match(/<img class="overlay"/g) ?? []).length).toBe(6);
    expect(html).toContain('gendice view --image report/cases/');
    const markdown = studyMarkdown(results, report.findings, report.pictures);
    expect(markdown).toContain(`](report/${pictures[0]!.file})`);
    if (hasChromium) {
      // The page shows every picture (decoded by the browser from its data URI), requesting nothing.
      const page = await (await launchChromium()).newPage();
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(pathToFileURL(report.html).href, { waitUntil: 'load' });
      const sizes = await page.$$eval('img.overlay', (imgs) => imgs.map((i) => [(i as HTMLImageElement).complete, (i as HTMLImageElement).naturalWidth]));
      expect(sizes).toEqual(pictures.map(() => [true, 300]));
      if (process.env.GENDICE_REPORT_SCREENSHOT) await page.locator('#held-out-cases').evaluate((e) => e.scrollIntoView());
      if (process.env.GENDICE_REPORT_SCREENSHOT) await page.screenshot({ path: process.env.GENDICE_REPORT_SCREENSHOT });
      expect(requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:'))).toEqual([]);
      await page.close();
    }
  }, 120_000);

  it('says plainly that no predictions are stored when the trials have only their records', async () => {
    const copy = join(root, 'records-only');
    cpSync(dir, copy, { recursive: true });
    for (const t of readStudy(copy).trials) rmSync(join(trialDir(copy, t.id), 'predictions'), { recursive: true });
    rmSync(join(copy, 'report'), { recursive: true });
    const report = await writeReport(copy, readStudy(copy));
    expect(report.pictures.pictures).toEqual([]);
    expect(report.pictures.note).toMatch(/^No held-out predictions are stored for the 2 finished trials/);
    const html = readFileSync(report.html, 'utf8');
    expect(html).toContain('No held-out predictions are stored');
    expect(html).not.toContain('<img class="overlay"');
    expect(existsSync(join(copy, 'report', 'overlays'))).toBe(false);
    // Records from a study folder without trial folders at all (as the fixture's): the same note.
    const fixture = await writeReport(join(root, 'fixture'), makeStudy({ networks: [UNET2D], outcome: () => 0.5, seeds: [1], testCases: 3 }));
    expect(fixture.pictures.note).toMatch(/^No held-out predictions are stored/);
  }, 120_000);

  it('names damaged stored predictions on the page and draws the rest', async () => {
    const copy = join(root, 'damaged');
    cpSync(dir, copy, { recursive: true });
    const [a, b] = readStudy(copy).trials;
    writeFileSync(join(trialDir(copy, a!.id), 'predictions', 'predictions.json'), '{"cases": [');
    // The best case of the trial by the report's rule: highest Dice, ties by case id.
    const best = [...readHeldOutPredictions(trialDir(copy, b!.id))!.cases].sort((x, y) => y.dice! - x.dice! || x.case.localeCompare(y.case))[0]!;
    rmSync(join(trialDir(copy, b!.id), 'predictions', best.file));
    const report = await writeReport(copy, readStudy(copy));
    const { pictures, note } = report.pictures;
    expect(pictures.map((p) => p.rank)).toEqual(['median', 'worst']);
    expect(pictures.every((p) => p.trial === b!.id)).toBe(true);
    expect(note).toContain('Not drawn, 2 problems with stored predictions');
    expect(note).toContain(`${join(trialDir(copy, a!.id), 'predictions', 'predictions.json')} is not valid JSON`);
    expect(note).toContain(best.file);
    expect(readFileSync(report.html, 'utf8')).toContain('Not drawn, 2 problems');
  }, 120_000);
});
