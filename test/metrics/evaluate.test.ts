import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluate, evaluationHeadlines, evaluationSummaryCsv, evaluationSummaryLines, evaluationToCsv, evaluationToJson } from '../../src/metrics/index.js';
import { writeEvaluation } from '../../src/metrics/node/evaluationFile.js';

const map = (rows: number[][]) => ({ data: rows.flat(), shape: [1, rows.length, rows[0]!.length, 1] });
const square = map([
  [1, 1, 1, 0, 0],
  [1, 1, 1, 0, 0],
  [1, 1, 1, 0, 0],
  [0, 0, 0, 0, 0],
]);
const shifted = map([
  [0, 1, 1, 1, 0],
  [0, 1, 1, 1, 0],
  [0, 1, 1, 1, 0],
  [0, 0, 0, 0, 0],
]);
const empty = map([
  [0, 0, 0, 0, 0],
  [0, 0, 0, 0, 0],
  [0, 0, 0, 0, 0],
  [0, 0, 0, 0, 0],
]);

describe('evaluate', () => {
  const pairs = [
    { id: 'good', prediction: square, reference: square },
    { id: 'shifted', prediction: square, reference: shifted, spacing: [1, 2] },
    { id: 'missed', prediction: empty, reference: shifted },
  ];

  it('computes every requested metric per case and aggregates with NaN counted', () => {
    const report = evaluate(pairs, { metrics: ['dice', 'hd95', 'averageSurfaceDistance', 'generalizedDiceScore', 'sensitivity'], includeBackground: false });
    expect(report.cases.map((c) => c.id)).toEqual(['good', 'shifted', 'missed']);
    expect(report.cases[1]!.values.dice).toEqual({ '1': 2 / 3 });
    expect(report.cases[1]!.values.hd95!['1']).toBeCloseTo(2, 12); // 1 pixel at 2 mm
    expect(report.cases[1]!.values.averageSurfaceDistance!['1']).toBeCloseTo(0.875, 12); // (2+2+2+1) mm per direction over 8 pixels
    expect(report.cases[2]!.values.dice).toEqual({ '1': 0 });
    expect(report.cases[2]!.values.hd95!['1']).toBeNaN();
    expect(report.cases[2]!.values.generalizedDiceScore).toEqual({ all: 0 });
    expect(report.cases[0]!.values.sensitivity).toEqual({ '1': 1 });
    expect(report.summary.dice!.overall).toMatchObject({ count: 3, total: 3 });
    expect(report.summary.dice!.overall.mean).toBeCloseTo((1 + 2 / 3 + 0) / 3, 12);
    expect(report.summary.hd95!.overall).toMatchObject({ mean: 1, count: 2, total: 3 });
  });

  it("gives a missed structure the worst distance under emptyPolicy 'worst'", () => {
    const report = evaluate(pairs, { metrics: ['hausdorffDistance'], emptyPolicy: 'worst', worstDistance: 100 });
    expect(report.cases[2]!.values.hausdorffDistance).toEqual({ '1': 100 });
    expect(report.summary.hausdorffDistance!.overall).toMatchObject({ count: 3, max: 100 });
  });

  it('writes CSV (one row per case and class) and a summary CSV with counts', () => {
    const report = evaluate(pairs, { metrics: ['dice', 'hd95', 'generalizedDiceScore'] });
    const csv = evaluationToCsv(report).trim().split('\n');
    expect(csv[0]).toBe('case,class,dice,hd95,generalizedDiceScore');
    // dice scores classes 0 and 1 (background by default: 22/31), hd95 only class 1, GDS one pooled value:
    // 2(11/121) / (31/121 + 9/81) = 0.495.
    expect(csv.filter((l) => l.startsWith('missed,'))).toEqual(['missed,0,0.7096774193548387,,', 'missed,1,0,NaN,', 'missed,all,,,0.495']);
    const summary = evaluationSummaryCsv(report).trim().split('\n');
    expect(summary[0]).toBe('metric,class,mean,median,std,min,max,count,total');
    expect(summary).toContain('hd95,1,1,1,1,0,2,2,3');
  });

  it('writes JSON with NaN as null, and files by extension', () => {
    const report = evaluate(pairs, { metrics: ['hd95'] });
    const json = JSON.parse(evaluationToJson(report)) as { cases: { values: { hd95: Record<string, number | null> } }[] };
    expect(json.cases[2]!.values.hd95['1']).toBeNull();
    const dir = mkdtempSync(join(tmpdir(), 'gendice-eval-'));
    writeEvaluation(report, join(dir, 'r.json'));
    writeEvaluation(report, join(dir, 'r.csv'));
    expect(JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8'))).toEqual(json);
    expect(readFileSync(join(dir, 'r.csv'), 'utf8')).toBe(evaluationToCsv(report));
    expect(() => writeEvaluation(report, join(dir, 'r.txt'))).toThrow("writeEvaluation: '");
  });

  it('names batch rows as separate cases', () => {
    const batch = { data: [...square.data, ...shifted.data], shape: [2, 4, 5, 1] };
    const report = evaluate([{ id: 'b', prediction: batch, reference: batch }], { metrics: ['dice'] });
    expect(report.cases.map((c) => c.id)).toEqual(['b#0', 'b#1']);
  });

  it('headlines are over the foreground classes, with each class beside them', () => {
    // dice scores the background by default: its near-1 values must not lift the headline.
    const report = evaluate(pairs, { metrics: ['dice', 'hd95'] });
    expect(report.summary.dice!.classes).toEqual([0, 1]);
    const [dice, hd95] = evaluationHeadlines(report);
    expect(dice!.foreground).toMatchObject({ mean: (1 + 2 / 3 + 0) / 3, median: 2 / 3, count: 3, total: 3 });
    expect(dice!.perClass.map((p) => p.class)).toEqual(['0', '1']);
    expect(report.summary.dice!.overall.mean).toBeGreaterThan(dice!.foreground.mean);
    expect(hd95!.perClass.map((p) => p.class)).toEqual(['1']);
    const background = report.summary.dice!.perClass[0]!.mean.toFixed(4);
    expect(evaluationSummaryLines(report)[0]).toBe(`dice: foreground mean 0.5556, median 0.6667 over 3 of 3 values (class 0 (background) ${background}; class 1 0.5556)`);
    expect(evaluationSummaryLines(report)[1]).toMatch(/^hd95: foreground mean \d\.\d{4}, median \d\.\d{4} over 2 of 3 values \(class 1 \d\.\d{4}\)$/);
  });

  it('rejects unknown metrics with a suggestion, and surface Dice without a tolerance', () => {
    expect(() => evaluate(pairs, { metrics: ['hd96' as never] })).toThrow(/^evaluate: metric must be one of 'dice', 'jaccard', .*; got 'hd96' \(did you mean 'hd95'\?\)$/);
    expect(() => evaluate(pairs, { metrics: ['surfaceDice'] })).toThrow("evaluate: metric 'surfaceDice' needs toleranceMm");
    expect(evaluate(pairs, { metrics: ['surfaceDice'], toleranceMm: 1 }).cases[1]!.values.surfaceDice).toEqual({ '1': 0.625 }); // 5 of 8 per direction within 1 mm at spacing [1, 2]
  });
});
