import type { OutputFormat } from '@kandinsky/protocol';
import { encodeImage, OUTPUT_CONTENT_TYPES, type Raster } from '../image/index.js';
import type { NoiseSource } from '../random/noise-source.js';
import type { RunControl } from './progress.js';

/** One generated image, encoded. */
export interface GeneratedImage {
  bytes: Uint8Array;
  width: number;
  height: number;
  contentType: string;
  /** The seed that reproduces this image alone: `imageSeed(seed, index)`. */
  seed: number;
}

/** The preview images of one request after one decoder step (see {@link GenerateOptions.onPreview}). */
export interface GeneratedPreview {
  /** The request's index in the batch. */
  request: number;
  /** The denoising step (1-based, of the steps the run takes) whose predicted clean latents were decoded. */
  step: number;
  totalSteps: number;
  /** One per output image, in the request's output format (no metadata); seeds as the final images'. */
  images: GeneratedImage[];
}

/** A finished generation. */
export interface GenerationResult {
  images: GeneratedImage[];
  /**
   * Wall time per stage: `encode` (text/image encoders), `prior`, `decoder` (the U-Net loop), `movq`, `preview`
   * (decoding and encoding previews, when there were any), plus `total`.
   */
  timingsMs: Record<string, number>;
  /** The resolved parameters, as recorded in each image's metadata. */
  parameters: Record<string, unknown>;
}

/** Options of one generation. */
export interface GenerateOptions extends RunControl {
  /**
   * Replaces the seeded noise (image i: `SeededNoise(imageSeed(seed, i))`), e.g. to inject saved reference draws.
   * Receives the image count and the request's index in the batch; the returned source serves that request's whole
   * run (prior, then decoder).
   */
  noise?: (n: number, request: number) => NoiseSource;
  /**
   * Receives the previews of requests with `preview_steps`: after each such decoder step, the step's predicted clean
   * latents (`pred_original_sample`) decoded through MoVQ and encoded, per request. Awaited before the run goes on.
   * Without it no preview is made. Previews never change the final images.
   */
  onPreview?: (preview: GeneratedPreview) => void | Promise<void>;
}

/** How one request's images are written: its format, each image's seed, and (final images only) its metadata. */
export interface ImageOutput {
  format: OutputFormat;
  seeds: readonly number[];
  /** Recorded in each file with the image's own seed; absent for previews, which carry no metadata. */
  parameters?: Record<string, unknown>;
}

/**
 * Encodes a batch's images: `rasters` hold every request's rows in batch order (one per seed), each request's
 * written in its own format. Final images and previews go through here alike, so a preview is the final image's
 * encoding at an earlier step.
 */
export async function encodeImages(
  rasters: readonly Raster[],
  outputs: readonly ImageOutput[],
): Promise<GeneratedImage[][]> {
  const encoded: GeneratedImage[][] = [];
  let row = 0;
  for (const { format, seeds, parameters } of outputs) {
    const images: GeneratedImage[] = [];
    for (const seed of seeds) {
      const raster = rasters[row++];
      images.push({
        bytes: await encodeImage(raster, format, parameters ? { parameters: { ...parameters, seed } } : undefined),
        width: raster.width,
        height: raster.height,
        contentType: OUTPUT_CONTENT_TYPES[format],
        seed,
      });
    }
    encoded.push(images);
  }
  return encoded;
}
