import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  curvesFigure,
  heatmapCells,
  heatmapFigure,
  prefixSvgIds,
  rateLabel,
  renderSvg,
  reportFigures,
  testBoxFigure,
  trialRows,
} from '../../src/study/report/index.js';
import { svgToPng, writeReport } from '../../src/study/report/node/index.js';
import type { TrialParameters } from '../../src/study/types.js';
import { HIGHRESNET, makeStudy, paperLikeOutcome, UNET2D, type FixtureOutcome } from './reportFixture.js';

const dir = mkdtempSync(join(tmpdir(), 'gendice-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Width and height from a PNG's IHDR chunk, after checking the 8-byte signature. */
function pngSize(png: Uint8Array): { width: number; height: number } {
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  expect(new TextDecoder().decode(png.subarray(12, 16))).toBe('IHDR');
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

function svgSize(svg: string): { width: number; height: number } {
  const m = /^<svg[^>]*\swidth="(\d+(?:\.\d+)?)"[^>]*\sheight="(\d+(?:\.\d+)?)"/.exec(svg);
  expect(m, svg.slice(0, 200)).not.toBeNull();
  return { width: Number(m![1]), height: Number(m![2]) };
}

// Two networks (2D, 3D), 2 seeds, test cases; a few trials still pending, one diverged.
const partial = (p: TrialParameters, i: number): FixtureOutcome =>
  p.network === 'highResNet' && p.learningRate === 1e-3 && p.loss === 'ss' ? 'pending' : p.loss === 'wce' && p.learningRate === 1e-3 && i === 2 ? 'diverged' : paperLikeOutcome(p, i);
const study = makeStudy({ networks: [UNET2D, HIGHRESNET], outcome: partial, seeds: [1, 2], testCases: 4 });

describe('rows', () => {
  it('lists every trial, pending ones included, with their state', () => {
    const rows = trialRows(study);
    expect(rows).toHaveLength(study.trials.length);
    expect(rows.filter((r) => r.state === 'pending')).toHaveLength(3 * 2);
    const diverged = rows.filter((r) => r.state === 'diverged');
    expect(diverged).toHaveLength(2 * 2);
    expect(diverged[0]).toMatchObject({ score: null, error: 'loss became NaN at iteration 17', testDiceMedian: null });
    expect(rows[0]).toMatchObject({ network: 'unet2d', loss: 'wce', rate: '1e-3', patch: '32x32', batchSize: 16, seed: 1, state: 'done', foregroundFraction: 0.02, testCases: 4 });
  });

  it('labels learning rates as the paper does', () => {
    expect([1e-3, 1e-4, 1e-5, 3e-4, 0.1].map(rateLabel)).toEqual(['1e-3', '1e-4', '1e-5', '3e-4', '1e-1']);
  });

  it('aggregates heatmap cells over seeds and marks pending cells', () => {
    const cells = heatmapCells(study);
    expect(cells).toHaveLength(2 * 4 * 3 * 3);
    const pending = cells.filter((c) => c.label === 'pending');
    expect(pending).toHaveLength(3);
    expect(pending.every((c) => c.network === 'highResNet' && c.loss === 'ss' && c.rate === '1e-3' && c.score === null)).toBe(true);
    const diverged = cells.find((c) => c.network === 'unet2d' && c.loss === 'wce' && c.rate === '1e-3' && c.patch === '128x128')!;
    expect(diverged).toMatchObject({ score: 0, label: '0.00', diverged: 2, done: 0 });
    const gdl = cells.find((c) => c.network === 'unet2d' && c.loss === 'gdl' && c.rate === '1e-4' && c.patch === '32x32')!;
    expect(gdl.score).toBeCloseTo(0.8, 1);
    expect(gdl.imbalance).toBe('32x32 · 2.0%');
  });
});

describe('figures render to SVG and PNG', () => {
  const plans = reportFigures(study);

  it('plans a heatmap and learning curves per network and one test box plot', () => {
    expect(plans.map((p) => p.name)).toEqual(['dice-heatmap-unet2d', 'dice-heatmap-highResNet', 'test-dice', 'learning-curves-unet2d', 'learning-curves-highResNet']);
    expect(plans.every((p) => p.spec !== null)).toBe(true);
  });

  it.each(['dice-heatmap-highResNet', 'test-dice', 'learning-curves-unet2d'])('%s renders to a non-empty SVG and a PNG of twice its size', async (name) => {
    const plan = plans.find((p) => p.name === name)!;
    const svg = await renderSvg(plan.spec!, name);
    expect(svg.startsWith('<svg')).toBe(true);
    const size = svgSize(svg);
    expect(size.width).toBeGreaterThan(300);
    expect(size.height).toBeGreaterThan(150);
    expect(svg).toContain(plan.title);
    const image = svgToPng(svg);
    expect(pngSize(image.png)).toEqual({ width: image.width, height: image.height });
    expect(image.width).toBe(Math.ceil(size.width * 2));
    expect(image.height).toBe(Math.ceil(size.height * 2));
  });

  it('prints the cell values and pending cells in the heatmap', async () => {
    const svg = await renderSvg(heatmapFigure(study, 'highResNet').spec!);
    expect(svg).toContain('>pending<');
    for (const loss of ['wce', 'dl2', 'ss', 'gdl']) expect(svg).toContain(`>${loss}<`);
    expect(svg).toContain('84x84x84 · 0.050%');
  });

  it('says why a figure cannot be drawn instead of failing', () => {
    const noTests = makeStudy({ networks: [UNET2D], outcome: () => 0.5, seeds: [1] });
    expect(testBoxFigure(noTests)).toMatchObject({ spec: null, missing: 'no test cases: the finished trials recorded no held-out test Dice' });
    const nothingRun = makeStudy({ networks: [UNET2D], outcome: () => 'pending', seeds: [1] });
    expect(testBoxFigure(nothingRun).missing).toBe('no finished trial yet');
    expect(curvesFigure(nothingRun, 'unet2d')).toMatchObject({ spec: null, missing: 'no trial of this network has run yet' });
    expect(heatmapFigure(nothingRun, 'unet3d')).toMatchObject({ spec: null, missing: "no trials for network 'unet3d'" });
  });

  it('renders a heatmap of a study where nothing has run: every cell pending', async () => {
    const nothingRun = makeStudy({ networks: [UNET2D], outcome: () => 'pending', seeds: [1] });
    const svg = await renderSvg(heatmapFigure(nothingRun, 'unet2d').spec!);
    expect(svg.match(/>pending</g)).toHaveLength(4 * 3 * 3);
    expect(svg).toContain('32x32 · fg n/a');
  });

  it('prefixes SVG ids and their references', () => {
    const svg = '<svg><defs><linearGradient id="gradient_0"/></defs><rect fill="url(#gradient_0)"/><use href="#gradient_0"/><rect fill="url(#other)"/></svg>';
    expect(prefixSvgIds(svg, 'fig')).toBe('<svg><defs><linearGradient id="fig-gradient_0"/></defs><rect fill="url(#fig-gradient_0)"/><use href="#fig-gradient_0"/><rect fill="url(#other)"/></svg>');
  });
});

describe('writeReport', () => {
  it('writes index.html and every figure as SVG and PNG, atomically', async () => {
    const out = join(dir, 'study');
    const report = await writeReport(out, study);
    expect(report.html).toBe(join(out, 'report', 'index.html'));
    expect(report.figures.map((f) => f.slice(join(out, 'report').length + 1)).sort()).toEqual(
      ['dice-heatmap-unet2d', 'dice-heatmap-highResNet', 'test-dice', 'learning-curves-unet2d', 'learning-curves-highResNet'].flatMap((n) => [`${n}.png`, `${n}.svg`]).sort(),
    );
    // No temporary files left behind.
    expect(readdirSync(join(out, 'report')).filter((f) => f.startsWith('.'))).toEqual([]);
    for (const f of report.figures.filter((p) => p.endsWith('.png'))) expect(pngSize(readFileSync(f)).width).toBeGreaterThan(300);
    const html = readFileSync(report.html, 'utf8');
    expect(html.match(/<tr class="finding"/g)).toHaveLength(6);
    expect(html.match(/<tr class="trial"/g)).toHaveLength(study.trials.length);
    expect(html.match(/<figure id="fig-[^"]+" class="figure" aria-label="[^"]+">/g)).toHaveLength(5);
    expect(html.match(/<svg/g)).toHaveLength(5);
    expect(html).not.toMatch(/<script|<link|src="|url\(http|@import/);
    expect(html).not.toMatch(/href="https?:/);
    // Each inline SVG's ids are unique in the page.
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(report.findings).toHaveLength(6);
  });

  it('explains the missing box plot on a study without test cases', async () => {
    const out = join(dir, 'no-test');
    const report = await writeReport(out, makeStudy({ networks: [UNET2D], outcome: () => 0.5, seeds: [1, 2], rates: [1e-4], losses: ['gdl'] }));
    const html = readFileSync(report.html, 'utf8');
    expect(html).toContain('Not drawn: no test cases: the finished trials recorded no held-out test Dice.');
    expect(existsSync(join(out, 'report', 'test-dice.svg'))).toBe(false);
    expect(report.figures).toHaveLength(4);
  });
});
