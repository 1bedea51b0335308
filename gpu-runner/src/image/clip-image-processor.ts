import { pilResize } from './pil-resize.js';
import type { Raster } from './raster.js';

/** The `preprocessor_config.json` keys of transformers' `CLIPImageProcessor` that affect the pixels. */
export interface ClipImageProcessorConfig {
  do_resize: boolean;
  /** `{shortest_edge}` (aspect kept) or `{height, width}`. */
  size: { shortest_edge: number } | { height: number; width: number };
  /** PIL resample id; only 3 (BICUBIC, the CLIP default) and 2 (BILINEAR) are implemented. */
  resample: number;
  do_center_crop: boolean;
  crop_size: { height: number; width: number };
  do_rescale: boolean;
  rescale_factor: number;
  do_normalize: boolean;
  image_mean: [number, number, number];
  image_std: [number, number, number];
}

/** CLIP ViT-L/14 defaults (what Kandinsky 2.1's prior repository ships). */
export const CLIP_IMAGE_PROCESSOR_DEFAULTS: ClipImageProcessorConfig = {
  do_resize: true,
  size: { shortest_edge: 224 },
  resample: 3,
  do_center_crop: true,
  crop_size: { height: 224, width: 224 },
  do_rescale: true,
  rescale_factor: 1 / 255,
  do_normalize: true,
  image_mean: [0.48145466, 0.4578275, 0.40821073],
  image_std: [0.26862954, 0.26130258, 0.27577711],
};

const RESAMPLE_FILTERS = { 2: 'bilinear', 3: 'bicubic' } as const;

/** Reads a `preprocessor_config.json` object, filling transformers' defaults and refusing what is not implemented. */
export function parseClipImageProcessorConfig(raw: Record<string, unknown>): ClipImageProcessorConfig {
  const c = { ...CLIP_IMAGE_PROCESSOR_DEFAULTS, ...raw } as ClipImageProcessorConfig & Record<string, unknown>;
  if (!(c.resample in RESAMPLE_FILTERS))
    throw new Error(`CLIPImageProcessor: resample=${c.resample} is not supported (2 or 3)`);
  if (c.do_convert_rgb === false) throw new Error('CLIPImageProcessor: do_convert_rgb=false is not supported');
  const size = c.size as Record<string, number>;
  if (!('shortest_edge' in size) && !('height' in size && 'width' in size)) {
    throw new Error(
      `CLIPImageProcessor: size must have shortest_edge or height and width, got ${JSON.stringify(size)}`,
    );
  }
  // Old configs give crop_size as one number.
  if (typeof c.crop_size === 'number') c.crop_size = { height: c.crop_size, width: c.crop_size };
  return c;
}

/**
 * `CLIPImageProcessor(images=pil_rgb_image).pixel_values[0]` (transformers 4.38) as `[cropH, cropW, 3]` NHWC float32:
 * shortest-edge resize with PIL (no reducing gap), centre crop (zero-padded when the image is smaller), then
 * `x * rescale_factor` (float64, stored as float32) and `(x - mean) / std` in float32 — bit-identical to the reference.
 */
export function clipPreprocess(
  rgb: Raster,
  config: ClipImageProcessorConfig = CLIP_IMAGE_PROCESSOR_DEFAULTS,
): {
  pixels: Float32Array;
  height: number;
  width: number;
} {
  if (rgb.channels !== 3) throw new Error(`CLIP preprocessing needs RGB, got ${rgb.channels} channels`);
  let image = rgb;
  if (config.do_resize) {
    const [h, w] = resizeTarget(rgb.height, rgb.width, config.size);
    image = pilResize(rgb, w, h, RESAMPLE_FILTERS[config.resample as 2 | 3]);
  }
  let height = image.height;
  let width = image.width;
  let pixel = (y: number, x: number, c: number) => image.data[(y * image.width + x) * 3 + c];
  if (config.do_center_crop) {
    ({ height, width } = config.crop_size);
    // transformers pads a too-small image with zeros to the crop size, centred, then crops.
    const padH = Math.max(height, image.height);
    const padW = Math.max(width, image.width);
    const padTop = Math.floor((padH - image.height) / 2);
    const padLeft = Math.floor((padW - image.width) / 2);
    const top = Math.floor((image.height - height) / 2) + padTop;
    const left = Math.floor((image.width - width) / 2) + padLeft;
    const src = image;
    pixel = (y, x, c) => {
      const sy = y + top - padTop;
      const sx = x + left - padLeft;
      return sy < 0 || sx < 0 || sy >= src.height || sx >= src.width ? 0 : src.data[(sy * src.width + sx) * 3 + c];
    };
  }
  const mean = config.image_mean.map(Math.fround);
  const std = config.image_std.map(Math.fround);
  const pixels = new Float32Array(height * width * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        let v = pixel(y, x, c);
        if (config.do_rescale) v = Math.fround(v * config.rescale_factor);
        if (config.do_normalize) v = Math.fround(Math.fround(v - mean[c]) / std[c]);
        pixels[(y * width + x) * 3 + c] = v;
      }
    }
  }
  return { pixels, height, width };
}

/** transformers' `get_resize_output_image_size` (`default_to_square=False` for shortest_edge): `[height, width]`. */
function resizeTarget(height: number, width: number, size: ClipImageProcessorConfig['size']): [number, number] {
  if ('height' in size) return [size.height, size.width];
  const short = Math.min(height, width);
  const long = Math.max(height, width);
  const newShort = size.shortest_edge;
  const newLong = Math.trunc((newShort * long) / short);
  return width <= height ? [newLong, newShort] : [newShort, newLong];
}
