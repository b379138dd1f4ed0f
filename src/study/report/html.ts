import type { Finding } from '../findings/index.js';
import { escapeHtml } from './escapeHtml.js';
import type { StudyResults } from '../types.js';
import { trialCounts } from './figures.js';
import { picturesHtml, viewCommandsHtml, type PagePictures } from './pictures.js';
import { trialRows } from './rows.js';

export { escapeHtml };

/** A figure as it goes on the page: its inline SVG (ids already unique) or why it is missing. */
export interface PageFigure {
  name: string;
  title: string;
  caption: string;
  /** The SVG markup, or null when the figure has no data (`missing` says why). */
  svg: string | null;
  missing?: string;
  /** File names of the figure next to the page (`NAME.svg`, `NAME.png`), for the links. */
  files: string[];
}


const CSS = `
body { font-family: 'DejaVu Sans', 'Liberation Sans', Arial, sans-serif; margin: 2rem auto; max-width: 1400px; padding: 0 1rem; color: #222; line-height: 1.4; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.25rem; margin-top: 2.2rem; border-bottom: 1px solid #ccc; padding-bottom: 0.2rem; }
h3 { font-size: 1.05rem; margin: 1.2rem 0 0.4rem; }
.meta { color: #555; margin: 0.2rem 0; }
table { border-collapse: collapse; font-size: 0.85rem; width: 100%; }
th, td { border: 1px solid #ddd; padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; position: sticky; top: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.holds { font-weight: bold; text-align: center; white-space: nowrap; }
.holds-yes { background: #d9f2d9; } .holds-no { background: #f8d7d7; } .holds-inconclusive { background: #f1f1f1; }
.state-pending { color: #777; font-style: italic; } .state-failed, .state-diverged { color: #a00; }
figure { margin: 1rem 0 2rem; overflow-x: auto; }
figure svg { display: block; max-width: none; height: auto; }
figcaption { color: #555; font-size: 0.85rem; margin-top: 0.3rem; }
.missing { color: #555; font-style: italic; background: #f7f7f7; padding: 0.6rem; border-left: 3px solid #bbb; }
details { font-size: 0.8rem; color: #444; } ul.parts { margin: 0.2rem 0; padding-left: 1.1rem; }
.table-wrap { max-height: 40rem; overflow: auto; }
table.overlays { width: auto; } table.overlays td { text-align: center; } img.overlay { image-rendering: pixelated; }
td.view code { white-space: nowrap; font-size: 0.75rem; }
`;

function num(value: number | null, digits = 3): string {
  return value === null || !Number.isFinite(value) ? '–' : value.toFixed(digits);
}

function percent(value: number | null): string {
  return value === null || !Number.isFinite(value) ? '–' : `${(value * 100).toPrecision(2)}%`;
}

function findingsTable(findings: readonly Finding[]): string {
  const rows = findings.map((f) => {
    const parts = f.parts.map((p) => `<li><b>${escapeHtml(p.holds)}</b>: ${escapeHtml(p.claim)} — ${escapeHtml(p.reason)}</li>`).join('');
    return (
      `<tr class="finding" data-finding="${f.id}"><td class="num">${f.id}</td><td>${escapeHtml(f.statement)}</td>` +
      `<td>${escapeHtml(f.measured)}<details><summary>how it is measured</summary><p>${escapeHtml(f.operationalisation)}</p><ul class="parts">${parts}</ul></details></td>` +
      `<td>${escapeHtml(f.interval)}</td><td class="holds holds-${f.holds}">${escapeHtml(f.holds)}</td></tr>`
    );
  });
  return `<table id="findings"><thead><tr><th>#</th><th>finding (the paper)</th><th>measured (gendice)</th><th>95% interval over seeds</th><th>holds</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function trialsTable(results: StudyResults, views: PagePictures['views'] = {}): string {
  const rows = trialRows(results).map((r) => {
    const test = r.testDiceMedian === null ? '–' : `${num(r.testDiceMedian)} (n=${r.testCases})`;
    return (
      `<tr class="trial" data-trial="${escapeHtml(r.id)}"><td>${escapeHtml(r.id)}</td><td>${escapeHtml(r.network)}</td><td>${escapeHtml(r.loss)}</td>` +
      `<td class="num">${escapeHtml(r.rate)}</td><td class="num">${escapeHtml(r.patch)}</td><td class="num">${r.batchSize}</td><td class="num">${r.seed}</td>` +
      `<td class="num">${r.iterations}</td><td class="state-${r.state}">${r.state}</td><td class="num">${num(r.score)}</td>` +
      `<td class="num">${percent(r.foregroundFraction)}</td><td class="num">${test}</td><td class="num">${r.seconds === null ? '–' : r.seconds.toFixed(0)}</td>` +
      `<td>${r.error === null ? '' : escapeHtml(r.error)}</td><td class="view">${viewCommandsHtml(views[r.id])}</td></tr>`
    );
  });
  return (
    `<div class="table-wrap"><table id="trials"><thead><tr><th>trial</th><th>network</th><th>loss</th><th>learning rate</th><th>patch</th><th>batch</th><th>seed</th>` +
    `<th>iterations</th><th>status</th><th>score</th><th>foreground (median)</th><th>test Dice (median)</th><th>seconds</th><th>error</th><th>view predictions</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`
  );
}

function figureSection(f: PageFigure): string {
  const links = f.files.map((file) => `<a href="${encodeURI(file)}">${escapeHtml(file)}</a>`).join(' · ');
  if (f.svg === null) {
    return `<figure id="fig-${escapeHtml(f.name)}" class="figure-missing"><h3>${escapeHtml(f.title)}</h3><p class="missing">Not drawn: ${escapeHtml(f.missing ?? 'no data')}.</p></figure>`;
  }
  // The SVG carries the title itself (the files must read alone), so no heading repeats it.
  return `<figure id="fig-${escapeHtml(f.name)}" class="figure" aria-label="${escapeHtml(f.title)}">${f.svg}<figcaption>${escapeHtml(f.caption)}${links ? ` Files: ${links}.` : ''}</figcaption></figure>`;
}

/**
 * The report as ONE self-contained HTML page: inline CSS, inline SVG figures, no scripts and no
 * external URLs (links only to the figure files next to it). Sections: the findings table, the
 * figures (a note instead of a figure that has no data yet), the held-out pictures when given
 * (`pictures`: overlays of the best, median and worst test case, or the note that none are stored), and
 * every trial of the grid (with its `gendice view` commands).
 */
export function reportHtml(results: StudyResults, findings: readonly Finding[], figures: readonly PageFigure[], pictures?: PagePictures): string {
  const counts = trialCounts(results);
  const seeds = new Set(results.trials.map((t) => t.parameters.seed)).size;
  const heat = figures.filter((f) => f.name.startsWith('dice-heatmap-'));
  const box = figures.filter((f) => f.name === 'test-dice');
  const curves = figures.filter((f) => f.name.startsWith('learning-curves-'));
  const other = figures.filter((f) => !heat.includes(f) && !box.includes(f) && !curves.includes(f));
  const section = (title: string, list: readonly PageFigure[]): string => (list.length === 0 ? '' : `<h2>${escapeHtml(title)}</h2>${list.map(figureSection).join('')}`);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>gendice study report: ${escapeHtml(results.name)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>gendice study: ${escapeHtml(results.name)}</h1>
<p class="meta">Data: ${escapeHtml(results.data)}</p>
<p class="meta">Trials: ${results.trials.length} in the grid — ${counts.done} done, ${counts.diverged} diverged, ${counts.failed} failed, ${counts.pending} pending; ${seeds} seed${seeds === 1 ? '' : 's'} per setting.</p>
<h2>The paper's findings</h2>
<p class="meta">Sudre et al. 2017 ran one training per setting; here every quantity is computed per seed and given with its 95% t-interval over seeds. A claim holds when its interval lies on the claimed side, fails when it lies on the other, and is inconclusive otherwise (or when data are missing, or with one seed). docs/study.md, "How to read the report", defines each measure.</p>
${findingsTable(findings)}
${section('Dice over learning rate × foreground fraction (Fig. 1–2)', heat)}
${section('Held-out test set (Fig. 3)', box)}
${pictures === undefined ? '' : `<h2 id="held-out-cases">Held-out cases: prediction and reference</h2>\n${picturesHtml(pictures)}`}
${section('Learning curves', curves)}
${section('Other figures', other)}
<h2>Trials</h2>
${trialsTable(results, pictures?.views)}
</body>
</html>
`;
}
