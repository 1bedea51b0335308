import { createRaster, type Raster } from './raster.js';

/**
 * PIL's `convert("L")` from RGB: ITU-R 601-2 luma in 16-bit fixed point,
 * `(R * 19595 + G * 38470 + B * 7471 + 0x8000) >> 16` (the 0.299/0.587/0.114 weights, rounded as Pillow does).
 */
export function rgbToLuma(src: Raster): Raster {
  if (src.channels === 1) return { ...src, data: src.data.slice() };
  if (src.channels !== 3) throw new Error(`rgbToLuma expects an RGB image, got ${src.channels} channels`);
  const out = createRaster(src.width, src.height, 1);
  const d = src.data;
  for (let i = 0, j = 0; j < out.data.length; i += 3, j++) {
    out.data[j] = (d[i] * 19595 + d[i + 1] * 38470 + d[i + 2] * 7471 + 0x8000) >>> 16;
  }
  return out;
}
