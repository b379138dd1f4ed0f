export { curvesFigure, heatmapFigure, lossOrder, reportFigures, testBoxFigure, FIGURE_FONT, type FigurePlan } from './figures.js';
export { escapeHtml, reportHtml, type PageFigure } from './html.js';
export { prefixSvgIds, renderSvg } from './svg.js';
export { heatmapCells, rateLabel, trialRows, type HeatmapCell, type TrialRow, type TrialState } from './rows.js';
export { studyMarkdown } from './markdown.js';
