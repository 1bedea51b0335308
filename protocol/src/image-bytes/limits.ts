/** Size limits for user images, checked from the headers before any pixel data is inflated or decoded. */
export interface ImageLimits {
  /** Largest file, in bytes. */
  maxBytes: number;
  /** Smallest side, in pixels. */
  minSide: number;
  /** Largest side, in pixels. */
  maxSide: number;
  /** Largest width x height. */
  maxPixels: number;
}

/**
 * The one definition of what the service accepts as an input image: the edge refuses anything outside these (400),
 * the runner's pixel cap is `maxPixels`. Inputs are resized to the requested size by the runner, so the sides only
 * bound memory and time.
 */
export const IMAGE_LIMITS: Readonly<ImageLimits> = Object.freeze({
  maxBytes: 8 * 1024 * 1024,
  minSide: 16,
  maxSide: 4096,
  maxPixels: 4096 * 4096,
});
