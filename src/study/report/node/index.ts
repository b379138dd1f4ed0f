export { svgToPng, type PngImage, type PngOptions } from './png.js';
export { REPORT_DIR, writeReport, type ReportFiles, type WriteReportOptions } from './writeReport.js';
export { CASES_DIR, OVERLAYS_DIR, writeOverlayPictures } from './overlayFiles.js';
