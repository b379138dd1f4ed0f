import { describe, expect, it } from 'vitest';
import { createVolume } from '../../src/data/volume.js';
import { chooseOverlayCases, overlaySliceIndex, overlaySvg, type HeldOutCase } from '../../src/study/report/index.js';
import { svgToPng } from '../../src/study/report/node/index.js';
import { decodePng, isPredictionTint, isReferenceColour } from './pngPixels.js';

const item = (trial: string, c: string, dice: number, loss = 'gdl', network = 'unet2d'): HeldOutCase => ({ trial, network, loss, case: c, dice });

describe('chooseOverlayCases', () => {
  it('picks the best, the lower median and the worst case of each network × loss, pooled over trials', () => {
    const items = [
      item('t1', 'a', 0.5), item('t1', 'b', 0.9), item('t2', 'a', 0.1), item('t2', 'b', 0.7),
      item('t1', 'a', 0.3, 'dl2'), item('t1', 'b', Number.NaN, 'dl2'), item('t2', 'a', 0.6, 'dl2'),
      item('t3', 'x', 0.2, 'gdl', 'unet3d'),
    ];
    const picked = chooseOverlayCases(items).map((c) => `${c.network} ${c.loss} ${c.rank} ${c.item.trial}/${c.item.case} ${c.of}`);
    expect(picked).toEqual([
      // dl2 before gdl (the paper's order); the NaN case is left out, so dl2 has two cases: no median.
      'unet2d dl2 best t2/a 2',
      'unet2d dl2 worst t1/a 2',
      // 0.9, 0.7, 0.5, 0.1: the lower median of four is the second, 0.7.
      'unet2d gdl best t1/b 4',
      'unet2d gdl median t2/b 4',
      'unet2d gdl worst t2/a 4',
      'unet3d gdl best t3/x 1',
    ]);
  });

  it('breaks ties by trial then case, so the choice does not depend on the input order', () => {
    const items = [item('t2', 'a', 0.5), item('t1', 'b', 0.5), item('t1', 'a', 0.5)];
    const forward = chooseOverlayCases(items).map((c) => `${c.item.trial}/${c.item.case}`);
    expect(forward).toEqual(['t1/a', 't1/b', 't2/a']);
    expect(chooseOverlayCases([...items].reverse()).map((c) => `${c.item.trial}/${c.item.case}`)).toEqual(forward);
  });
});

/** A label map of shape [X, Y, Z] with the voxels for which `inside` holds set to 1. */
function labelMap(shape: number[], inside: (i: number, j: number, k: number) => boolean) {
  const [X, Y, Z = 1] = shape as [number, number, number?];
  const data = new Uint8Array(X * Y * Z);
  for (let k = 0; k < Z; k++) for (let j = 0; j < Y; j++) for (let i = 0; i < X; i++) data[i + X * (j + Y * k)] = inside(i, j, k) ? 1 : 0;
  return createVolume(data, shape);
}

describe('overlaySliceIndex', () => {
  it('shows the slice with the most reference voxels, else the most predicted ones, else the middle', () => {
    const ref = labelMap([8, 8, 10], (i, j, k) => (k === 2 && i === 1 && j === 1) || (k === 6 && i < 3 && j < 3));
    const pred = labelMap([8, 8, 10], (_i, _j, k) => k === 8);
    const none = labelMap([8, 8, 10], () => false);
    expect(overlaySliceIndex(ref, pred)).toBe(6);
    expect(overlaySliceIndex(none, pred)).toBe(8);
    expect(overlaySliceIndex(none, none)).toBe(5);
    expect(overlaySliceIndex(labelMap([8, 8], () => true), labelMap([8, 8], () => false))).toBe(0);
  });
});

describe('overlaySvg', () => {
  const X = 24;
  const Y = 20;
  const Z = 9;
  const image = createVolume(Float32Array.from({ length: X * Y * Z }, (_, n) => Math.sin(n) * 10), [X, Y, Z]);
  // Reference: a 5×5 square at (4..8, 3..7) on slice 4; prediction: a 5×5 square at (14..18, 10..14) on slice 4.
  const reference = labelMap([X, Y, Z], (i, j, k) => k === 4 && i >= 4 && i <= 8 && j >= 3 && j <= 7);
  const prediction = labelMap([X, Y, Z], (i, j, k) => k === 4 && i >= 14 && i <= 18 && j >= 10 && j <= 14);

  it('draws the prediction filled and the reference outlined where they are, and grey elsewhere', () => {
    const drawn = overlaySvg(image, reference, prediction, { title: 'test' });
    expect(drawn.slice).toBe(4);
    const png = svgToPng(drawn.svg, { scale: 1 }).png;
    const pixels = decodePng(png);
    expect([pixels.width, pixels.height]).toEqual([drawn.width, drawn.height]);
    // Inside the prediction: the magenta tint. Far from both: grey (r = g = b).
    expect(isPredictionTint(pixels.at(...drawn.pixelOf(16, 12)))).toBe(true);
    const [r, g, b] = pixels.at(...drawn.pixelOf(20, 2));
    expect(r).toBe(g);
    expect(g).toBe(b);
    expect(isPredictionTint([r, g, b])).toBe(false);
    // The reference's left edge (x = 4 voxels), half-way up the square: the yellow contour.
    const [, y] = drawn.pixelOf(4, 5);
    expect(isReferenceColour(pixels.at(4 * drawn.cell, y))).toBe(true);
    // Its inside is not filled (an outline), and not tinted.
    const inside = pixels.at(...drawn.pixelOf(6, 5));
    expect(isReferenceColour(inside) || isPredictionTint(inside)).toBe(false);
  });

  it('refuses a label map on another grid, naming it', () => {
    expect(() => overlaySvg(image, labelMap([X, Y], () => false), prediction, { title: 't' })).toThrow(/overlaySvg: the reference has shape \[24, 20\]/);
  });
});
