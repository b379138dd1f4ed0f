import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeNifti } from '../../src/data/node/niftiFiles.js';
import { createVolume } from '../../src/data/volume.js';
import { bundleViewer } from '../../src/web/view/node/viewerBundle.js';
import { startViewServer } from '../../src/web/view/node/viewServer.js';
import { decodePng } from '../study/pngPixels.js';
import { hasChromium, launchChromium } from './chromium.js';

const dir = mkdtempSync(join(tmpdir(), 'gendice-view-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let script = '';
beforeAll(async () => {
  script = await bundleViewer();
}, 60_000);

/** Image (a smooth ramp with a bright ball), reference (the ball) and prediction (the ball shifted by 2 voxels in x). */
async function writeCase(name: string, shape: number[], centre: number[], radius: number): Promise<{ image: string; label: string; pred: string }> {
  const [X, Y, Z = 1] = shape as [number, number, number?];
  const n = X * Y * Z;
  const image = new Float32Array(n);
  const label = new Uint8Array(n);
  const pred = new Uint8Array(n);
  for (let k = 0; k < Z; k++) {
    for (let j = 0; j < Y; j++) {
      for (let i = 0; i < X; i++) {
        const v = i + X * (j + Y * k);
        const d2 = (x: number) => (x - centre[0]!) ** 2 + (j - centre[1]!) ** 2 + (shape.length === 3 ? (k - centre[2]!) ** 2 : 0);
        label[v] = d2(i) <= radius * radius ? 1 : 0;
        pred[v] = d2(i - 2) <= radius * radius ? 1 : 0;
        image[v] = 100 + i + j + (label[v] ? 200 : 0);
      }
    }
  }
  const files = { image: join(dir, `${name}_image.nii.gz`), label: join(dir, `${name}_label.nii.gz`), pred: join(dir, `${name}_pred.nii.gz`) };
  await writeNifti(files.image, createVolume(image, shape));
  await writeNifti(files.label, createVolume(label, shape));
  await writeNifti(files.pred, createVolume(pred, shape));
  return files;
}

/** Opens the viewer for a case, screenshots it, and counts the overlay colours on the canvas near the lesion (of `radius` voxels) and away from it. */
async function viewAndCount(files: { image: string; label: string; pred: string }, centre: number[], radius: number) {
  const view = await startViewServer(files, { script });
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 640, height: 520 } });
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  try {
    await page.goto(view.url, { waitUntil: 'load' });
    await page.waitForFunction(() => {
      const s = (globalThis as { gendiceView?: { ready?: boolean; error?: string } }).gendiceView;
      return s?.ready === true || s?.error !== undefined;
    }, undefined, { timeout: 60_000 });
    const failure = await page.evaluate(() => (globalThis as { gendiceView?: { error?: string } }).gendiceView?.error);
    expect(failure).toBeUndefined();
    // Where niivue draws the lesion's centre voxel: canvas pixels, offset by the canvas on the page.
    const at = await page.evaluate((voxel) => {
      const nv = (globalThis as unknown as { gendiceView: { niivue: { vox2frac(v: number[]): number[]; frac2canvasPos(f: number[]): number[] | null } } }).gendiceView.niivue;
      const pos = nv.frac2canvasPos(nv.vox2frac(voxel));
      const next = nv.frac2canvasPos(nv.vox2frac([voxel[0]! + 1, voxel[1]!, voxel[2]!]));
      const canvas = document.getElementById('niivue')!;
      const box = canvas.getBoundingClientRect();
      const scale = box.width / (canvas as HTMLCanvasElement).width;
      if (pos === null || next === null) return null;
      const voxelPx = Math.hypot(next[0]! - pos[0]!, next[1]! - pos[1]!) * scale;
      return { x: box.left + pos[0]! * scale, y: box.top + pos[1]! * scale, voxelPx, box: [box.left, box.top, box.right, box.bottom] };
    }, centre);
    expect(at).not.toBeNull();
    const shot = new Uint8Array(await page.screenshot());
    if (process.env.GENDICE_VIEW_SHOT) writeFileSync(join(process.env.GENDICE_VIEW_SHOT, `${basename(files.image)}.png`), shot);
    const pixels = decodePng(shot);
    const [left, top, right, bottom] = at!.box as [number, number, number, number];
    let red = 0;
    let green = 0;
    let far = 0;
    // The canvas only (the legend above it has colour swatches).
    for (let y = Math.ceil(top); y < Math.min(bottom, pixels.height); y++) {
      for (let x = Math.ceil(left); x < Math.min(right, pixels.width); x++) {
        const [r, g, b] = pixels.at(x, y);
        const overlay = (r > g + 60 && r > b + 60) || (g > r + 60 && g > b + 60);
        // Within the lesion's radius (+2 voxels of shift, +2 of margin) of its centre, as drawn.
        const near = Math.hypot(x - at!.x, y - at!.y) < (radius + 4) * at!.voxelPx;
        if (!overlay) continue;
        if (!near) far++;
        else if (r > g) red++;
        else green++;
      }
    }
    const outside = requests.filter((u) => !u.startsWith(view.url));
    return { red, green, far, outside, requests, errors, config: view.config };
  } finally {
    await page.close();
    await view.close();
  }
}

describe.skipIf(!hasChromium)('gendice view page (niivue in Chromium, WebGL2 through SwiftShader)', () => {
  it('draws a 3D scan with the reference and the prediction over it, from its own origin only', async () => {
    const files = await writeCase('ball3d', [40, 36, 30], [24, 14, 19], 4);
    const r = await viewAndCount(files, [24, 14, 19], 4);
    expect(r.config).toMatchObject({ dims: 3, focus: [24, 14, 19] });
    expect(r.outside).toEqual([]);
    expect(r.requests.some((u) => u.endsWith('/volumes/prediction.nii.gz'))).toBe(true);
    expect(r.errors, r.requests.join('\n')).toEqual([]);
    expect(r.red, 'prediction (red) pixels near the lesion').toBeGreaterThan(10);
    expect(r.green, 'reference (green) pixels near the lesion').toBeGreaterThan(10);
  }, 120_000);

  it('draws a 2D scan as one slice', async () => {
    const files = await writeCase('disc2d', [48, 40], [30, 12], 5);
    const r = await viewAndCount(files, [30, 12, 0], 5);
    expect(r.config).toMatchObject({ dims: 2, focus: [30, 12, 0] });
    expect(r.outside).toEqual([]);
    expect(r.errors).toEqual([]);
    expect(r.red).toBeGreaterThan(10);
    expect(r.green).toBeGreaterThan(10);
    // One slice filling the canvas: the overlays are only where the disc is.
    expect(r.far).toBe(0);
  }, 120_000);
});
