import { VIEW_STYLE, type ViewConfig } from './viewConfig.js';

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * The viewer page: a full-width niivue canvas, a legend with each volume's file name and colour, an
 * opacity slider per label map, and the script `/view.js` (same origin; the page loads nothing else).
 */
export function viewPageHtml(config: ViewConfig): string {
  const legend = config.volumes
    .map((v) => {
      const style = VIEW_STYLE[v.role];
      const swatch = `<span class="swatch" style="background:${style.legend}"></span>`;
      const slider =
        v.role === 'image' ? '' : ` <input type="range" id="opacity-${v.role}" min="0" max="1" step="0.05" value="${style.opacity}" aria-label="${v.role} opacity">`;
      return `<li data-role="${v.role}">${swatch}<b>${v.role}</b> ${escapeHtml(v.name)}${slider}</li>`;
    })
    .join('');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>gendice view: ${escapeHtml(config.volumes[0]?.name ?? '')}</title>
<style>
body { margin: 0; font-family: 'DejaVu Sans', Arial, sans-serif; background: #111; color: #eee; }
header { padding: 0.4rem 0.8rem; font-size: 0.9rem; }
ul { list-style: none; margin: 0.2rem 0; padding: 0; display: flex; gap: 1.5rem; flex-wrap: wrap; }
.swatch { display: inline-block; width: 0.8rem; height: 0.8rem; margin-right: 0.3rem; vertical-align: middle; }
main { position: relative; width: 100vw; height: calc(100vh - 7rem); }
#niivue { display: block; width: 100%; height: 100%; }
</style>
</head>
<body>
<header><ul>${legend}</ul><div id="status">${config.dims}D; drag to move the crosshair, scroll to change slice.</div></header>
<main><canvas id="niivue"></canvas></main>
<script type="module" src="/view.js"></script>
</body>
</html>
`;
}
