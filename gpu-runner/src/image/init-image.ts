import { pilResize } from './pil-resize.js';
import type { Raster } from './raster.js';

/**
 * The img2img / inpaint image preprocessing of diffusers 0.27.2's Kandinsky pipelines
 * (`image.resize((w, h), BICUBIC, reducing_gap=1)`, `convert("RGB")`, `float32 / 127.5 - 1`): an RGB raster to
 * `[height, width, 3]` NHWC float32 in [-1, 1], bit-identical to the reference (float32 division, then subtraction).
 */
export function prepareInitImage(rgb: Raster, width: number, height: number): Float32Array {
  if (rgb.channels !== 3) throw new Error(`init image must be RGB, got ${rgb.channels} channels`);
  const resized = pilResize(rgb, width, height, 'bicubic', { reducingGap: 1 });
  const out = new Float32Array(resized.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.fround(resized.data[i] / 127.5) - 1;
  return out;
}
