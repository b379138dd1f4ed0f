import { Resvg } from '@resvg/resvg-js';

/** A decoded PNG: RGBA bytes, row-major from the top-left. */
export interface Pixels {
  width: number;
  height: number;
  rgba: Uint8Array;
  at(x: number, y: number): [number, number, number, number];
}

/**
 * Decodes a PNG by drawing it 1:1 with resvg (already a dependency; no PNG decoder is installed) and
 * reading the rendered pixels back. Checks the signature and takes the size from IHDR.
 */
export function decodePng(png: Uint8Array): Pixels {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (!signature.every((b, i) => png[i] === b)) throw new Error('decodePng: not a PNG signature');
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<image width="${width}" height="${height}" image-rendering="optimizeSpeed" href="data:image/png;base64,${Buffer.from(png).toString('base64')}"/></svg>`;
  const rendered = new Resvg(svg).render();
  if (rendered.width !== width || rendered.height !== height) throw new Error(`decodePng: rendered ${rendered.width}x${rendered.height}, IHDR says ${width}x${height}`);
  const rgba = new Uint8Array(rendered.pixels);
  return {
    width,
    height,
    rgba,
    at: (x, y) => {
      const o = 4 * (Math.round(y) * width + Math.round(x));
      return [rgba[o]!, rgba[o + 1]!, rgba[o + 2]!, rgba[o + 3]!];
    },
  };
}

/** Magenta-tinted (the prediction fill over grey): red and blue well above green. */
export const isPredictionTint = ([r, g, b]: readonly number[]): boolean => r! - g! > 50 && b! - g! > 10;
/** Yellow (the reference contour): red and green high, blue low. */
export const isReferenceColour = ([r, g, b]: readonly number[]): boolean => r! > 200 && g! > 170 && b! < 90;
