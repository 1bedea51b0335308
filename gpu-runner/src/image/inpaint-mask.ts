import { rgbToLuma } from './pil-convert.js';
import { pilResize } from './pil-resize.js';
import type { Raster } from './raster.js';

/**
 * diffusers 0.27.2 Kandinsky inpaint's mask preprocessing for an image mask (white = repaint, black = keep):
 * `resize((w, h), LANCZOS)` (no reducing gap) on the RGB mask, `convert("L")`, `/ 255`, binarize at 0.5, then
 * `1 - mask`. Returns the KEEP mask `[height * width]` (1 = keep the original, 0 = repaint), exactly as the reference.
 */
export function prepareKeepMaskFromImage(mask: Raster, width: number, height: number): Float32Array {
  const resized = pilResize(mask, width, height, 'lanczos');
  const luma = rgbToLuma(resized);
  const out = new Float32Array(luma.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.fround(luma.data[i] / 255) >= 0.5 ? 0 : 1;
  return out;
}

/**
 * The same for a float mask already at the image size (the reference's ndarray path: no resize, binarize at 0.5,
 * `1 - mask`). Values are repaint weights in [0, 1].
 */
export function prepareKeepMaskFromArray(repaint: Float32Array | number[]): Float32Array {
  const out = new Float32Array(repaint.length);
  for (let i = 0; i < out.length; i++) out[i] = repaint[i] >= 0.5 ? 0 : 1;
  return out;
}

/**
 * The keep mask on the latent grid, as the pipeline builds it after encoding the image: `F.interpolate(mode="nearest")`
 * from `[height, width]` to `[latentHeight, latentWidth]`, then `prepare_mask`: every latent cell that is not 1
 * zeroes its neighbours (i-1, j), (i, j-1), (i-1, j-1), (i+1, j), (i, j+1), (i+1, j+1) — an asymmetric 6-neighbour
 * erosion of the keep region, reproduced as is. Returns `[latentHeight * latentWidth]`.
 */
export function latentKeepMask(
  keep: Float32Array,
  height: number,
  width: number,
  latentHeight: number,
  latentWidth: number,
): Float32Array {
  if (keep.length !== height * width)
    throw new RangeError(`mask has ${keep.length} values, expected ${height}x${width}`);
  // torch nearest: source index floor(dst * (in / out)) with the scale in float32.
  const sy = Math.fround(height / latentHeight);
  const sx = Math.fround(width / latentWidth);
  const before = new Float32Array(latentHeight * latentWidth);
  for (let i = 0; i < latentHeight; i++) {
    const srcY = Math.min(Math.floor(Math.fround(i * sy)), height - 1);
    for (let j = 0; j < latentWidth; j++) {
      const srcX = Math.min(Math.floor(Math.fround(j * sx)), width - 1);
      before[i * latentWidth + j] = keep[srcY * width + srcX];
    }
  }
  const out = before.slice();
  const clear = (i: number, j: number) => {
    if (i >= 0 && j >= 0 && i < latentHeight && j < latentWidth) out[i * latentWidth + j] = 0;
  };
  for (let i = 0; i < latentHeight; i++) {
    for (let j = 0; j < latentWidth; j++) {
      if (before[i * latentWidth + j] === 1) continue;
      clear(i - 1, j);
      clear(i, j - 1);
      clear(i - 1, j - 1);
      clear(i + 1, j);
      clear(i, j + 1);
      clear(i + 1, j + 1);
    }
  }
  return out;
}
