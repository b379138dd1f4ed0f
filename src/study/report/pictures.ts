import { escapeHtml } from './escapeHtml.js';
import { OVERLAY_COLOURS, OVERLAY_RANKS, type OverlayRank } from './overlays.js';

/** One overlay picture on the page: a held-out case of a trial with its prediction and reference. */
export interface PagePicture {
  network: string;
  loss: string;
  rank: OverlayRank;
  /** How many held-out cases the network × loss had (the rank is among them). */
  of: number;
  trial: string;
  case: string;
  dice: number;
  /** The axial slice shown for a 3D case (most reference voxels); null for 2D. */
  slice: number | null;
  /** The PNG's path relative to the report folder (`overlays/unet2d-gdl-best.png`). */
  file: string;
  /** The PNG as a data URI, so that the page stays one self-contained file. */
  src: string;
}

/** The report's held-out pictures: what is drawn, what could not be, and the viewer commands. */
export interface PagePictures {
  pictures: PagePicture[];
  /** A plain sentence when some or all finished trials stored no predictions; null otherwise. */
  note: string | null;
  /** Per trial id: one `gendice view ...` command line per stored test case (run in the study folder). */
  views: Record<string, string[]>;
}

const LEGEND = `reference outlined in yellow (${OVERLAY_COLOURS.reference}), prediction filled in magenta (${OVERLAY_COLOURS.prediction}) at half opacity`;

function caption(p: PagePicture): string {
  return `${p.rank} of ${p.of}: ${p.case} of ${p.trial}, Dice ${p.dice.toFixed(3)}${p.slice === null ? '' : `, axial slice ${p.slice}`}`;
}

/** The page section of the pictures: one table per network, a row per loss, columns best, median, worst. */
export function picturesHtml(pictures: PagePictures): string {
  const parts: string[] = [
    `<p class="meta">The best, median and worst held-out test case of each network × loss (all learning rates, patch sizes and seeds pooled), ${LEGEND}. ` +
      '3D cases show the axial slice with the most reference voxels. Each trial\'s predictions open in the viewer with the commands in the trials table (run them in the study folder).</p>',
  ];
  if (pictures.note !== null) parts.push(`<p class="missing">${escapeHtml(pictures.note)}</p>`);
  for (const network of [...new Set(pictures.pictures.map((p) => p.network))]) {
    const mine = pictures.pictures.filter((p) => p.network === network);
    const rows = [...new Set(mine.map((p) => p.loss))].map((loss) => {
      const cells = OVERLAY_RANKS.map((rank) => {
        const p = mine.find((x) => x.loss === loss && x.rank === rank);
        return p === undefined
          ? '<td>–</td>'
          : `<td><a href="${encodeURI(p.file)}"><img class="overlay" data-rank="${rank}" src="${p.src}" alt="${escapeHtml(`${network} ${loss} ${caption(p)}`)}"></a><br><span class="meta">${escapeHtml(caption(p))}</span></td>`;
      });
      return `<tr><th>${escapeHtml(loss)}</th>${cells.join('')}</tr>`;
    });
    parts.push(`<h3>${escapeHtml(network)}</h3><table class="overlays"><thead><tr><th>loss</th>${OVERLAY_RANKS.map((r) => `<th>${r}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`);
  }
  return parts.join('\n');
}

/** The trials table's viewer cell of a trial: its commands, folded. */
export function viewCommandsHtml(commands: readonly string[] | undefined): string {
  if (commands === undefined || commands.length === 0) return '';
  return `<details><summary>${commands.length} case${commands.length === 1 ? '' : 's'}</summary>${commands.map((c) => `<code>${escapeHtml(c)}</code>`).join('<br>')}</details>`;
}

/** The pictures as Markdown, with image links relative to `base` (the report folder as the reader sees it). */
export function picturesMarkdown(pictures: PagePictures, base = 'report'): string {
  const out: string[] = ['**Held-out cases** (best, median, worst per network × loss; ' + LEGEND + ')', ''];
  if (pictures.note !== null) out.push(pictures.note, '');
  for (const p of pictures.pictures) out.push(`- ${p.network} · ${p.loss} · ${caption(p)}: ![${p.network} ${p.loss} ${p.rank}](${base}/${p.file})`);
  if (pictures.pictures.length) out.push('');
  return `${out.join('\n')}\n`;
}
