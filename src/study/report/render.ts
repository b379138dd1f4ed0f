import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { FIGURE_FONT } from './figures.js';

/**
 * Renders a vega-lite spec to an SVG string in Node (vega's headless 'none' renderer, no browser,
 * no canvas). Errors name the figure and vega's message.
 */
export async function renderSvg(spec: TopLevelSpec, name = 'figure'): Promise<string> {
  let view: vega.View | undefined;
  try {
    view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
    return await view.toSVG();
  } catch (err) {
    throw new Error(`renderSvg: figure '${name}' failed to render: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    view?.finalize();
  }
}

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

/**
 * Makes an SVG's element ids unique to one figure (`id="clip3"` → `id="NAME-clip3"`, and every
 * `url(#...)` / `href="#..."` reference with it), so that several figures inlined in one HTML page
 * never resolve each other's clip paths or gradients.
 */
export function prefixSvgIds(svg: string, prefix: string): string {
  const ids = new Set<string>();
  for (const m of svg.matchAll(/\sid="([^"]+)"/g)) ids.add(m[1]!);
  if (ids.size === 0) return svg;
  const rename = (id: string): string => (ids.has(id) ? `${prefix}-${id}` : id);
  return svg
    .replace(/(\sid=")([^"]+)(")/g, (_m, a: string, id: string, b: string) => `${a}${rename(id)}${b}`)
    .replace(/url\(#([^)]+)\)/g, (_m, id: string) => `url(#${rename(id)})`)
    .replace(/(href=")#([^"]+)(")/g, (_m, a: string, id: string, b: string) => `${a}#${rename(id)}${b}`);
}
