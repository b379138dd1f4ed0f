export { curvesFigure, heatmapFigure, lossOrder, reportFigures, testBoxFigure, FIGURE_FONT, type FigurePlan } from './figures.js';
export { escapeHtml, reportHtml, type PageFigure } from './html.js';
export { prefixSvgIds, renderSvg } from './svg.js';
export { heatmapCells, rateLabel, trialRows, type HeatmapCell, type TrialRow, type TrialState } from './rows.js';
export { studyMarkdown } from './markdown.js';
export { chooseOverlayCases, overlaySliceIndex, overlaySvg, OVERLAY_COLOURS, OVERLAY_RANKS, type HeldOutCase, type OverlayChoice, type OverlayOptions, type OverlayRank, type OverlaySvg } from './overlays.js';
export { picturesHtml, picturesMarkdown, viewCommandsHtml, type PagePicture, type PagePictures } from './pictures.js';
