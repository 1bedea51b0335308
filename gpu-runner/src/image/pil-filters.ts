/**
 * The resampling kernels of Pillow's `Resample.c` (the reference's `Image.resize`), as functions of the distance in
 * input pixels, with their support radius.
 */
export interface ResampleFilter {
  name: PilFilterName;
  support: number;
  weight(x: number): number;
}

/** Filters this port implements with PIL's convolution (NEAREST is a separate, non-convolution path). */
export type PilFilterName = 'bilinear' | 'bicubic' | 'lanczos';

/** PIL's bicubic uses the Keys kernel with a = -0.5. */
const BICUBIC_A = -0.5;

function bilinear(x: number): number {
  const ax = Math.abs(x);
  return ax < 1 ? 1 - ax : 0;
}

function bicubic(x: number): number {
  const ax = Math.abs(x);
  if (ax < 1) return ((BICUBIC_A + 2) * ax - (BICUBIC_A + 3)) * ax * ax + 1;
  if (ax < 2) return (((ax - 5) * ax + 8) * ax - 4) * BICUBIC_A;
  return 0;
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = x * Math.PI;
  return Math.sin(px) / px;
}

/** Truncated sinc windowed by sinc(x / 3), support 3; PIL's interval is half-open [-3, 3). */
function lanczos(x: number): number {
  return x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0;
}

export const PIL_FILTERS: Record<PilFilterName, ResampleFilter> = {
  bilinear: { name: 'bilinear', support: 1, weight: bilinear },
  bicubic: { name: 'bicubic', support: 2, weight: bicubic },
  lanczos: { name: 'lanczos', support: 3, weight: lanczos },
};
