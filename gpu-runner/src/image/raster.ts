/**
 * An 8-bit image in memory: `height` rows of `width` pixels of `channels` interleaved bytes (HWC), the layout of a
 * numpy array made from a PIL image. 3 channels = RGB, 1 = grayscale (PIL "L").
 */
export interface Raster {
  width: number;
  height: number;
  channels: number;
  data: Uint8Array;
}

/** Creates a zero-filled raster, checking the dimensions. */
export function createRaster(width: number, height: number, channels: number): Raster {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`invalid image size ${width}x${height}`);
  }
  if (!Number.isInteger(channels) || channels < 1 || channels > 4)
    throw new RangeError(`invalid channel count ${channels}`);
  return { width, height, channels, data: new Uint8Array(width * height * channels) };
}

/** Wraps existing HWC bytes as a raster after checking that the length matches. */
export function rasterFrom(width: number, height: number, channels: number, data: Uint8Array): Raster {
  if (data.length !== width * height * channels) {
    throw new RangeError(
      `raster ${width}x${height}x${channels} needs ${width * height * channels} bytes, got ${data.length}`,
    );
  }
  return { width, height, channels, data };
}
