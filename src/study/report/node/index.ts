export { svgToPng, type PngImage, type PngOptions } from './png.js';
export { REPORT_DIR, writeReport, type ReportFiles, type WriteReportOptions } from './writeReport.js';
