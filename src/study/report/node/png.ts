import { Resvg } from '@resvg/resvg-js';
import { FIGURE_FONT } from '../figures.js';

/** Options of `svgToPng`. */
export interface PngOptions {
  /** Pixels per SVG unit (default 2, for sharp figures on high-density screens and in print). */
  scale?: number;
}

/** A PNG image and its size in pixels. */
export interface PngImage {
  png: Uint8Array;
  width: number;
  height: number;
}

/**
 * Rasterises an SVG with resvg, using the system fonts (the figures ask for DejaVu Sans) on a white
 * background.
 */
export function svgToPng(svg: string, options: PngOptions = {}): PngImage {
  const scale = options.scale ?? 2;
  if (!Number.isFinite(scale) || scale <= 0) throw new Error(`svgToPng: scale must be a positive number, got ${scale}`);
  const image = new Resvg(svg, {
    font: { loadSystemFonts: true, defaultFontFamily: FIGURE_FONT },
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
  }).render();
  return { png: new Uint8Array(image.asPng()), width: image.width, height: image.height };
}
