import { join } from 'node:path';
import { writeFileAtomic } from '../../../common/node/atomicWrite.js';
import { computeFindings, type Finding, type FindingsOptions } from '../../findings/index.js';
import type { StudyResults } from '../../types.js';
import { reportFigures } from '../figures.js';
import { reportHtml, type PageFigure } from '../html.js';
import { prefixSvgIds, renderSvg } from '../svg.js';
import type { PagePictures } from '../pictures.js';
import { writeOverlayPictures } from './overlayFiles.js';
import { svgToPng } from './png.js';

/** The folder of the report inside a study folder. */
export const REPORT_DIR = 'report';

/** Options of `writeReport`. */
export interface WriteReportOptions {
  /** Options of the findings (see `computeFindings`). */
  findings?: FindingsOptions;
  /** PNG pixels per SVG unit (default 2). */
  pngScale?: number;
}

/** What `writeReport` wrote. */
export interface ReportFiles {
  /** Path of `DIR/report/index.html`. */
  html: string;
  /** Paths of every figure file written (`.svg` and `.png` of each drawn figure). */
  figures: string[];
  /** The findings shown in the page. */
  findings: Finding[];
  /** The held-out overlay pictures (`overlays/*.png`), the viewer commands, or the note that none are stored. */
  pictures: PagePictures;
}

/**
 * Writes a study's report under `DIR/report/`: `index.html` (one self-contained page: findings,
 * figures inline, trials table) and each figure as `NAME.svg` and `NAME.png`, every file written
 * atomically. Figures without data (no test cases, trials not run yet) are left out of the files
 * and explained on the page. The held-out pictures (`writeOverlayPictures`) go to `overlays/`, the
 * cases the viewer commands open to `cases/`; trials that stored no predictions are said so plainly.
 */
export async function writeReport(dir: string, results: StudyResults, options: WriteReportOptions = {}): Promise<ReportFiles> {
  const out = join(dir, REPORT_DIR);
  const findings = computeFindings(results, options.findings ?? {});
  const figures: string[] = [];
  const page: PageFigure[] = [];
  for (const plan of reportFigures(results)) {
    if (plan.spec === null) {
      page.push({ name: plan.name, title: plan.title, caption: plan.caption, svg: null, missing: plan.missing ?? 'no data', files: [] });
      continue;
    }
    const svg = await renderSvg(plan.spec, plan.name);
    const image = svgToPng(svg, options.pngScale !== undefined ? { scale: options.pngScale } : {});
    const svgPath = join(out, `${plan.name}.svg`);
    const pngPath = join(out, `${plan.name}.png`);
    writeFileAtomic(svgPath, svg);
    writeFileAtomic(pngPath, image.png);
    figures.push(svgPath, pngPath);
    page.push({ name: plan.name, title: plan.title, caption: plan.caption, svg: prefixSvgIds(svg, plan.name), files: [`${plan.name}.svg`, `${plan.name}.png`] });
  }
  const pictures = await writeOverlayPictures(dir, results, out);
  figures.push(...pictures.pictures.map((p) => join(out, p.file)));
  const html = join(out, 'index.html');
  writeFileAtomic(html, reportHtml(results, findings, page, pictures));
  return { html, figures, findings, pictures };
}
