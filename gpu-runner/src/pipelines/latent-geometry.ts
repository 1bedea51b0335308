/** The MoVQ downsampling factor (2^(4 blocks - 1)). */
export const MOVQ_SCALE_FACTOR = 8;

/**
 * diffusers `get_new_h_w(h, w, 8)`: the latent size for an image size, rounding the image **up** to a multiple of 64
 * (512 -> 64, 500 -> 64, 520 -> 72). The decoded image is `8 ×` this, so it can be larger than requested.
 */
export function latentSize(
  height: number,
  width: number,
  scale = MOVQ_SCALE_FACTOR,
): { height: number; width: number } {
  const up = (v: number) => Math.ceil(v / scale ** 2) * scale;
  return { height: up(height), width: up(width) };
}

/** The image size a request really produces: its size rounded up to multiples of 64. */
export function outputSize(height: number, width: number): { height: number; width: number } {
  const latent = latentSize(height, width);
  return { height: latent.height * MOVQ_SCALE_FACTOR, width: latent.width * MOVQ_SCALE_FACTOR };
}
