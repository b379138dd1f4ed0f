import type { Volume } from '../../data/volume.js';
import { FIGURE_FONT, lossOrder } from './figures.js';
import { escapeHtml } from './escapeHtml.js';

/** One held-out test case of one trial, as its stored prediction scored it. */
export interface HeldOutCase {
  trial: string;
  network: string;
  /** The loss as the report labels it (`gdl`, `gdl(weightType=simple)`). */
  loss: string;
  case: string;
  /** Foreground Dice of the stored prediction. */
  dice: number;
}

export const OVERLAY_RANKS = ['best', 'median', 'worst'] as const;
export type OverlayRank = (typeof OVERLAY_RANKS)[number];

/** A case chosen to be drawn: the best, median or worst of a network × loss, out of `of` cases. */
export interface OverlayChoice {
  network: string;
  loss: string;
  rank: OverlayRank;
  item: HeldOutCase;
  of: number;
}

/**
 * The best, median and worst held-out case of every network × loss, over all its trials' test cases
 * (learning rates, patch sizes and seeds pooled). Cases without a finite Dice are left out. Sorted by
 * Dice, ties broken by trial id then case id; the median is the lower middle element (an actual case,
 * never an average). A network × loss with fewer than three cases gets fewer pictures (one case:
 * only 'best'; two: 'best' and 'worst').
 */
export function chooseOverlayCases(items: readonly HeldOutCase[]): OverlayChoice[] {
  const groups = new Map<string, HeldOutCase[]>();
  for (const item of items) {
    if (!Number.isFinite(item.dice)) continue;
    const key = `${item.network}\u0000${item.loss}`;
    (groups.get(key) ?? groups.set(key, []).get(key)!).push(item);
  }
  const networks = [...new Set(items.map((i) => i.network))];
  const choices: OverlayChoice[] = [];
  for (const network of networks) {
    const losses = lossOrder(items.filter((i) => i.network === network).map((i) => i.loss));
    for (const loss of losses) {
      const list = [...(groups.get(`${network}\u0000${loss}`) ?? [])].sort(
        (a, b) => b.dice - a.dice || a.trial.localeCompare(b.trial) || a.case.localeCompare(b.case),
      );
      if (list.length === 0) continue;
      const picks: Array<[OverlayRank, number]> = [['best', 0]];
      if (list.length >= 3) picks.push(['median', Math.floor((list.length - 1) / 2)]);
      if (list.length >= 2) picks.push(['worst', list.length - 1]);
      for (const [rank, index] of picks) choices.push({ network, loss, rank, item: list[index]!, of: list.length });
    }
  }
  return choices;
}

/**
 * The axial slice (third axis) an overlay of a 3D case shows: the one with the most reference
 * foreground voxels (the largest cross-section of the lesions: for tiny or several lesions the centre
 * of mass can fall on an empty slice), else the one with the most predicted foreground, else the
 * middle slice. 2D cases have one slice, 0.
 */
export function overlaySliceIndex(reference: Volume, prediction: Volume): number {
  const [X, Y, Z = 1] = reference.shape as [number, number, number?];
  if (Z === 1) return 0;
  const most = (v: Volume): number => {
    let best = -1;
    let bestCount = 0;
    for (let k = 0; k < Z; k++) {
      let count = 0;
      const start = k * X * Y;
      for (let i = start; i < start + X * Y; i++) if (v.data[i]! > 0) count++;
      if (count > bestCount) {
        best = k;
        bestCount = count;
      }
    }
    return best;
  };
  const r = most(reference);
  if (r >= 0) return r;
  const p = most(prediction);
  return p >= 0 ? p : Math.floor(Z / 2);
}

/** The colours of the overlays (also the legend's). */
export const OVERLAY_COLOURS = { reference: '#ffd60a', prediction: '#ff2d95' } as const;

/** Options of `overlaySvg`. */
export interface OverlayOptions {
  /** Title line above the picture. */
  title: string;
  /** Target size in pixels of the image's longer side (voxels are drawn as squares of a whole number of pixels; default 256). */
  size?: number;
}

/** An overlay picture as SVG, with the slice it shows. */
export interface OverlaySvg {
  svg: string;
  /** The axial slice shown (0 for 2D). */
  slice: number;
  width: number;
  height: number;
  /** Pixels per voxel side. */
  cell: number;
  /** The picture pixel at the centre of voxel (i, j) of the slice: [x, y] from the top-left. */
  pixelOf(i: number, j: number): [number, number];
}

function checkSameGrid(image: Volume, other: Volume, what: string): void {
  if (other.shape.length !== image.shape.length || other.shape.some((s, i) => s !== image.shape[i])) {
    throw new Error(`overlaySvg: the ${what} has shape [${other.shape.join(', ')}], the image [${image.shape.join(', ')}]`);
  }
}

/**
 * One slice of a case as an SVG picture: the image in grey (channel 0, windowed to the slice's 1st–99th
 * percentile), the prediction filled in magenta at half opacity, the reference outlined in yellow
 * along voxel edges, a title and a legend. x runs to the right, y upwards (as viewers show an axial
 * slice). Label values above 0 count as foreground (all structures together).
 */
export function overlaySvg(image: Volume, reference: Volume, prediction: Volume, options: OverlayOptions): OverlaySvg {
  checkSameGrid(image, reference, 'reference');
  checkSameGrid(image, prediction, 'prediction');
  const [X, Y] = image.shape as [number, number];
  const slice = overlaySliceIndex(reference, prediction);
  const offset = slice * X * Y;
  const cell = Math.max(1, Math.floor((options.size ?? 256) / Math.max(X, Y)));
  const values = Float64Array.from({ length: X * Y }, (_, i) => image.data[offset + i]!);
  const sorted = Float64Array.from(values).filter(Number.isFinite).sort();
  const lo = sorted.length ? sorted[Math.floor(0.01 * (sorted.length - 1))]! : 0;
  const hi = sorted.length ? sorted[Math.ceil(0.99 * (sorted.length - 1))]! : 1;
  const grey = (v: number): number => (!Number.isFinite(v) ? 0 : hi > lo ? Math.round(Math.min(1, Math.max(0, (v - lo) / (hi - lo))) * 63) * 4 + 3 : 128);
  const fg = (v: Volume, i: number, j: number): boolean => i >= 0 && j >= 0 && i < X && j < Y && v.data[offset + i + X * j]! > 0;
  const top = 22;
  const width = Math.max(X * cell, 300);
  const height = top + Y * cell + 26;
  // Row j of the image is drawn at y = top + (Y - 1 - j) * cell (y upwards).
  const rowY = (j: number): number => top + (Y - 1 - j) * cell;
  const parts: string[] = [];
  for (let j = 0; j < Y; j++) {
    let i = 0;
    while (i < X) {
      const g = grey(values[i + X * j]!);
      let end = i + 1;
      while (end < X && grey(values[end + X * j]!) === g) end++;
      parts.push(`<rect x="${i * cell}" y="${rowY(j)}" width="${(end - i) * cell}" height="${cell}" fill="rgb(${g},${g},${g})"/>`);
      i = end;
    }
  }
  const fill: string[] = [];
  for (let j = 0; j < Y; j++) {
    for (let i = 0; i < X; i++) {
      if (!fg(prediction, i, j)) continue;
      let end = i + 1;
      while (end < X && fg(prediction, end, j)) end++;
      fill.push(`M${i * cell} ${rowY(j)}h${(end - i) * cell}v${cell}h${-(end - i) * cell}z`);
      i = end - 1;
    }
  }
  const edges: string[] = [];
  for (let j = 0; j < Y; j++) {
    for (let i = 0; i < X; i++) {
      if (!fg(reference, i, j)) continue;
      const x = i * cell;
      const y = rowY(j);
      if (!fg(reference, i - 1, j)) edges.push(`M${x} ${y}v${cell}`);
      if (!fg(reference, i + 1, j)) edges.push(`M${x + cell} ${y}v${cell}`);
      if (!fg(reference, i, j + 1)) edges.push(`M${x} ${y}h${cell}`);
      if (!fg(reference, i, j - 1)) edges.push(`M${x} ${y + cell}h${cell}`);
    }
  }
  const legendY = top + Y * cell + 17;
  const { reference: refColour, prediction: predColour } = OVERLAY_COLOURS;
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FIGURE_FONT}" font-size="12">` +
    `<rect width="${width}" height="${height}" fill="white"/>` +
    `<text x="2" y="15">${escapeHtml(options.title)}</text>` +
    `<g shape-rendering="crispEdges">${parts.join('')}</g>` +
    (fill.length ? `<path d="${fill.join('')}" fill="${predColour}" fill-opacity="0.5"/>` : '') +
    (edges.length ? `<path d="${edges.join('')}" fill="none" stroke="${refColour}" stroke-width="${Math.max(1.5, cell / 3)}" stroke-linecap="square"/>` : '') +
    `<rect x="2" y="${legendY - 10}" width="12" height="12" fill="none" stroke="${refColour}" stroke-width="2.5"/><text x="19" y="${legendY}">reference</text>` +
    `<rect x="100" y="${legendY - 10}" width="12" height="12" fill="${predColour}" fill-opacity="0.5"/><text x="117" y="${legendY}">prediction</text>` +
    `</svg>`;
  return { svg, slice, width, height, cell, pixelOf: (i, j) => [i * cell + cell / 2, rowY(j) + cell / 2] };
}
