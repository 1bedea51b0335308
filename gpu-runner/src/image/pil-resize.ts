import type { PilFilterName } from './pil-filters.js';
import { PIL_FILTERS } from './pil-filters.js';
import { pilReduce } from './pil-reduce.js';
import { pilResample, type ResampleBox } from './pil-resample.js';
import type { Raster } from './raster.js';

export interface PilResizeOptions {
  /**
   * PIL's `reducing_gap`: first `reduce()` by the integer factor `floor(in / out / gap)` (box averaging), then
   * convolve the rest. diffusers' Kandinsky img2img/inpaint preprocessing passes 1; CLIPImageProcessor and the
   * inpaint mask pass none (undefined).
   */
  reducingGap?: number;
}

/**
 * `PIL.Image.resize((width, height), resample, reducing_gap=...)` (Pillow 9.4) for an 8-bit RGB or L image,
 * byte-identical to the reference. Same size returns a copy, as PIL does.
 */
export function pilResize(
  src: Raster,
  width: number,
  height: number,
  filter: PilFilterName,
  opts: PilResizeOptions = {},
): Raster {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`invalid resize target ${width}x${height}`);
  }
  if (src.width === width && src.height === height) return { ...src, data: src.data.slice() };
  let image = src;
  let box: ResampleBox = [0, 0, src.width, src.height];
  const gap = opts.reducingGap;
  if (gap !== undefined) {
    if (!(gap >= 1)) throw new RangeError('reducing_gap must be 1.0 or greater');
    const fx = Math.trunc(src.width / width / gap) || 1;
    const fy = Math.trunc(src.height / height / gap) || 1;
    if (fx > 1 || fy > 1) {
      const reduceBox = safeBox(src, width, height, filter, box);
      image = pilReduce(src, fx, fy, reduceBox);
      box = [
        (box[0] - reduceBox[0]) / fx,
        (box[1] - reduceBox[1]) / fy,
        (box[2] - reduceBox[0]) / fx,
        (box[3] - reduceBox[1]) / fy,
      ];
    }
  }
  return pilResample(image, width, height, filter, box);
}

/** `Image._get_safe_box`: the integer input region the filter can reach, widened by its support. */
function safeBox(
  src: Raster,
  width: number,
  height: number,
  filter: PilFilterName,
  box: ResampleBox,
): [number, number, number, number] {
  const support = PIL_FILTERS[filter].support - 0.5;
  const supportX = support * ((box[2] - box[0]) / width);
  const supportY = support * ((box[3] - box[1]) / height);
  return [
    Math.max(0, Math.trunc(box[0] - supportX)),
    Math.max(0, Math.trunc(box[1] - supportY)),
    Math.min(src.width, Math.ceil(box[2] + supportX)),
    Math.min(src.height, Math.ceil(box[3] + supportY)),
  ];
}
