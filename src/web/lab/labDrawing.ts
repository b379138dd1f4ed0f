/**
 * The lab's canvas drawing: curves (one colour per loss) and predictions over the image. Pixel (x, y)
 * of a phantom is `data[x + size * y]` (x fastest, as gendice volumes); it is drawn as a `scale`×`scale`
 * block, the prediction as an opaque-ish orange fill and the reference lesion as its cyan outline.
 */

/** Colours of loss A and loss B in the curves. */
export const RUN_COLOURS = ['#d1495b', '#00798c'] as const;
/** The prediction overlay colour (RGB) and its opacity. */
export const PREDICTION_RGB = [255, 140, 0] as const;
export const PREDICTION_ALPHA = 0.75;
/** The outline colour of the reference lesion. */
export const REFERENCE_RGB = [0, 230, 255] as const;

/** Draws the image in grey, the predicted lesion pixels in orange and the reference lesion's outline in cyan. */
export function drawOverlay(canvas: HTMLCanvasElement, size: number, image: Float32Array, prediction: Uint8Array, reference: Uint8Array): void {
  const scale = Math.max(1, Math.floor(canvas.width / size));
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(size * scale, size * scale);
  const w = size * scale;
  const isLesion = (x: number, y: number): boolean => x >= 0 && y >= 0 && x < size && y < size && reference[x + size * y] === 1;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = x + size * y;
      const grey = Math.round(255 * image[i]!);
      let rgb: number[] = [grey, grey, grey];
      if (prediction[i] === 1) rgb = rgb.map((g, c) => Math.round((1 - PREDICTION_ALPHA) * g + PREDICTION_ALPHA * PREDICTION_RGB[c]!));
      const lesion = isLesion(x, y);
      for (let dy = 0; dy < scale; dy++) {
        for (let dx = 0; dx < scale; dx++) {
          // The outline: the outermost sub-pixel row/column of a lesion pixel that borders background.
          const edge =
            lesion &&
            scale >= 3 &&
            ((dx === 0 && !isLesion(x - 1, y)) || (dx === scale - 1 && !isLesion(x + 1, y)) || (dy === 0 && !isLesion(x, y - 1)) || (dy === scale - 1 && !isLesion(x, y + 1)));
          const c = edge ? REFERENCE_RGB : rgb;
          const o = 4 * ((y * scale + dy) * w + x * scale + dx);
          img.data[o] = c[0]!;
          img.data[o + 1] = c[1]!;
          img.data[o + 2] = c[2]!;
          img.data[o + 3] = 255;
        }
      }
    }
  }
  ctx.putImageData(img, 0, 0);
}

/** One curve: its label, colour and values (one per step). */
export interface Curve {
  label: string;
  colour: string;
  values: number[];
}

/** Draws curves over steps 1..`steps` with their y range (or [lo, hi] when given), axes and a legend. */
export function drawCurves(canvas: HTMLCanvasElement, title: string, curves: Curve[], steps: number, range?: [number, number]): void {
  const ctx = canvas.getContext('2d')!;
  const { width: W, height: H } = canvas;
  const left = 48;
  const right = 10;
  const top = 22;
  const bottom = 24;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, W, H);
  const finite = curves.flatMap((c) => c.values.filter(Number.isFinite));
  let [lo, hi] = range ?? [Math.min(...finite), Math.max(...finite)];
  if (!(hi > lo)) {
    lo = (Number.isFinite(lo) ? lo : 0) - 0.5;
    hi = lo + 1;
  }
  const px = (step: number): number => left + ((W - left - right) * (step - 1)) / Math.max(1, steps - 1);
  const py = (v: number): number => top + ((H - top - bottom) * (hi - v)) / (hi - lo);
  ctx.strokeStyle = '#888';
  ctx.lineWidth = 1;
  ctx.strokeRect(left, top, W - left - right, H - top - bottom);
  ctx.fillStyle = '#222';
  ctx.font = '12px sans-serif';
  ctx.fillText(title, left, 14);
  ctx.fillText(hi.toPrecision(3), 2, top + 10);
  ctx.fillText(lo.toPrecision(3), 2, H - bottom);
  ctx.fillText('step 1', left, H - 8);
  ctx.fillText(String(steps), W - right - 28, H - 8);
  curves.forEach((c, k) => {
    ctx.strokeStyle = c.colour;
    ctx.lineWidth = 2;
    ctx.beginPath();
    c.values.forEach((v, i) => {
      if (!Number.isFinite(v)) return;
      if (i === 0) ctx.moveTo(px(i + 1), py(v));
      else ctx.lineTo(px(i + 1), py(v));
    });
    ctx.stroke();
    ctx.fillStyle = c.colour;
    ctx.fillText(`${c.label}${c.values.length ? `: ${c.values[c.values.length - 1]!.toFixed(3)}` : ''}`, left + 8 + k * 150, top + 16);
  });
}
