import { PIL_FILTERS, type PilFilterName, type ResampleFilter } from './pil-filters.js';
import { createRaster, type Raster } from './raster.js';

/**
 * Pillow 9.4's 8-bit convolution resampler (`ImagingResample` in `Resample.c`), reimplemented so that our resized
 * images are byte-identical to the reference's:
 * - separable: a horizontal pass into an 8-bit intermediate, then a vertical pass (rounding and clipping between);
 * - kernel support is scaled by the downscale factor (`filterscale = max(in / out, 1)`), weights normalized to sum 1
 *   in double precision, then quantized to 22-bit fixed point (rounded half away from zero);
 * - accumulation starts at 0.5 (fixed point), the sum is floored and clipped to [0, 255];
 * - the source box is float32 (fractional after a `reduce()`), as PIL passes it.
 */

/** Fixed-point precision of the 8-bit kernels: 32 bits - 8 bits of value - 2 bits of headroom. */
const PRECISION_BITS = 22;
const ONE = 2 ** PRECISION_BITS;
const HALF = 2 ** (PRECISION_BITS - 1);

/** A source region `[x0, y0, x1, y1]` in input pixels (may be fractional). */
export type ResampleBox = [number, number, number, number];

interface Coefficients {
  /** Taps per output pixel. */
  ksize: number;
  /** Per output pixel: first input index and number of taps. */
  bounds: Int32Array;
  /** Fixed-point weights, `ksize` per output pixel. */
  weights: Int32Array;
}

/** Mirrors `precompute_coeffs` + `normalize_coeffs_8bpc`. */
function precomputeCoefficients(
  inSize: number,
  in0: number,
  in1: number,
  outSize: number,
  filter: ResampleFilter,
): Coefficients {
  const f0 = Math.fround(in0);
  const f1 = Math.fround(in1);
  // C computes `(double)(in1 - in0)` with float operands: the difference is rounded to float first.
  const scale = Math.fround(f1 - f0) / outSize;
  const filterscale = Math.max(scale, 1);
  const support = filter.support * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Int32Array(outSize * ksize);
  const taps = new Float64Array(ksize);
  const invScale = 1 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = f0 + (xx + 0.5) * scale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let sum = 0;
    for (let x = 0; x < xmax; x++) {
      const w = filter.weight((x + xmin - center + 0.5) * invScale);
      taps[x] = w;
      sum += w;
    }
    for (let x = 0; x < xmax; x++) {
      const k = sum !== 0 ? taps[x] / sum : taps[x];
      weights[xx * ksize + x] = k < 0 ? Math.trunc(-0.5 + k * ONE) : Math.trunc(0.5 + k * ONE);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, weights };
}

/** `clip8`: floor(v / 2^22) clamped to a byte. */
function clip8(v: number): number {
  const q = Math.floor(v / ONE);
  return q < 0 ? 0 : Math.min(q, 255);
}

/** Horizontal pass over input rows `[rowFirst, rowFirst + rows)`. */
function resampleHorizontal(src: Raster, outWidth: number, rowFirst: number, rows: number, c: Coefficients): Raster {
  const ch = src.channels;
  const out = createRaster(outWidth, rows, ch);
  const { ksize, bounds, weights } = c;
  for (let y = 0; y < rows; y++) {
    const rowBase = (y + rowFirst) * src.width * ch;
    const outBase = y * outWidth * ch;
    for (let xx = 0; xx < outWidth; xx++) {
      const xmin = bounds[xx * 2];
      const n = bounds[xx * 2 + 1];
      const kBase = xx * ksize;
      for (let b = 0; b < ch; b++) {
        let ss = HALF;
        for (let x = 0; x < n; x++) ss += src.data[rowBase + (xmin + x) * ch + b] * weights[kBase + x];
        out.data[outBase + xx * ch + b] = clip8(ss);
      }
    }
  }
  return out;
}

/** Vertical pass (bounds already relative to `src`'s first row). */
function resampleVertical(src: Raster, outHeight: number, c: Coefficients): Raster {
  const ch = src.channels;
  const rowLen = src.width * ch;
  const out = createRaster(src.width, outHeight, ch);
  const { ksize, bounds, weights } = c;
  for (let yy = 0; yy < outHeight; yy++) {
    const ymin = bounds[yy * 2];
    const n = bounds[yy * 2 + 1];
    const kBase = yy * ksize;
    const outBase = yy * rowLen;
    for (let i = 0; i < rowLen; i++) {
      let ss = HALF;
      for (let y = 0; y < n; y++) ss += src.data[(ymin + y) * rowLen + i] * weights[kBase + y];
      out.data[outBase + i] = clip8(ss);
    }
  }
  return out;
}

/**
 * `ImagingResample`: convolution-resizes the `box` region of `src` to `width` x `height` (PIL's C entry point,
 * without the `reducing_gap` pre-step; see {@link pilResize} for the `Image.resize` behaviour).
 */
export function pilResample(
  src: Raster,
  width: number,
  height: number,
  filterName: PilFilterName,
  box: ResampleBox = [0, 0, src.width, src.height],
): Raster {
  const filter = PIL_FILTERS[filterName];
  if (!filter) throw new Error(`unsupported resampling filter "${filterName}"`);
  const [x0, y0, x1, y1] = box.map(Math.fround) as ResampleBox;
  if (x0 === 0 && y0 === 0 && x1 === width && y1 === height && src.width === width && src.height === height) {
    return { ...src, data: src.data.slice() };
  }
  const needHorizontal = width !== src.width || x0 !== 0 || x1 !== width;
  const needVertical = height !== src.height || y0 !== 0 || y1 !== height;
  const horiz = precomputeCoefficients(src.width, x0, x1, width, filter);
  const vert = precomputeCoefficients(src.height, y0, y1, height, filter);
  // Only the input rows the vertical pass reads go through the horizontal pass.
  const rowFirst = vert.bounds[0];
  const rowLast = vert.bounds[height * 2 - 2] + vert.bounds[height * 2 - 1];
  let tmp = src;
  if (needHorizontal) {
    for (let i = 0; i < height; i++) vert.bounds[i * 2] -= rowFirst;
    tmp = resampleHorizontal(src, width, rowFirst, rowLast - rowFirst, horiz);
  }
  if (needVertical) return resampleVertical(tmp, height, vert);
  return tmp === src ? { ...src, data: src.data.slice() } : tmp;
}
