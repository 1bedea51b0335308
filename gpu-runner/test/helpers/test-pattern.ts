import { createRaster, type Raster } from '../../src/image/raster.js';

/**
 * A deterministic RGB test image mixing gradients and high-frequency detail, identical to `pattern()` in
 * `test/fixtures/image/make_image_fixtures.py` (the reference outputs were made from it):
 * `((x*37 + y*91 + c*53) XOR (x*y + c)) & 255`.
 */
export function testPattern(width: number, height: number, channels = 3): Raster {
  const r = createRaster(width, height, channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        r.data[(y * width + x) * channels + c] = ((x * 37 + y * 91 + c * 53) ^ (x * y + c)) & 255;
      }
    }
  }
  return r;
}
