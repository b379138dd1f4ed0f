export { curvesFigure, heatmapFigure, lossOrder, reportFigures, testBoxFigure, FIGURE_FONT, type FigurePlan } from './figures.js';
export { escapeHtml, reportHtml, type PageFigure } from './html.js';
export { prefixSvgIds, renderSvg, svgToPng, type PngImage, type PngOptions } from './render.js';
export { heatmapCells, rateLabel, trialRows, type HeatmapCell, type TrialRow, type TrialState } from './rows.js';
export { REPORT_DIR, writeReport, type ReportFiles, type WriteReportOptions } from './writeReport.js';
export { studyMarkdown } from './markdown.js';
