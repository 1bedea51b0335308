import type * as tf from '@tensorflow/tfjs';
import { type Raster, rasterFrom } from './raster.js';

/**
 * The decoder output in [-1, 1] to [0, 1], as the Kandinsky pipelines do in float32:
 * `clamp(image * 0.5 + 0.5, 0, 1)` (a multiply, then an add, each rounded to float32). NaN becomes 0.
 */
export function toUnitRange(x: number): number {
  const y = Math.fround(Math.fround(x * 0.5) + 0.5);
  return y > 0 ? Math.min(y, 1) : 0;
}

/** numpy's `round` (half to even), which `numpy_to_pil` applies to `image * 255`. */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * diffusers' `numpy_to_pil` after the pipeline's clamp: `(image * 255).round().astype("uint8")`, with `* 255` in
 * float32. Input: decoder output values in [-1, 1] (any layout; output keeps it).
 */
export function decodedToUint8(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = roundHalfEven(Math.fround(toUnitRange(values[i]) * 255));
  return out;
}

/** A decoded NHWC image batch `[B, H, W, 3]` in [-1, 1] to one RGB raster per image. Does not dispose `images`. */
export async function imageTensorToRasters(images: tf.Tensor): Promise<Raster[]> {
  if (images.rank !== 4 || images.shape[3] !== 3)
    throw new Error(`expected [B, H, W, 3] images, got [${images.shape}]`);
  const [b, h, w] = images.shape;
  const bytes = decodedToUint8((await images.data()) as Float32Array);
  const per = h * w * 3;
  return Array.from({ length: b }, (_, i) => rasterFrom(w, h, 3, bytes.slice(i * per, (i + 1) * per)));
}
