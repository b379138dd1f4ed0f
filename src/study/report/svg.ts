import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/**
 * Renders a vega-lite spec to an SVG string (vega's headless 'none' renderer: no DOM, no canvas, so
 * it runs in Node and in browsers alike). Errors name the figure and vega's message.
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
