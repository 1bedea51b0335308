import { createRaster, type Raster } from './raster.js';

/**
 * Pillow 9.4's `Image.reduce((fx, fy), box)` (`Reduce.c`): averages `fx` x `fy` blocks of the integer `box`
 * `[x0, y0, x1, y1]`, the last partial column/row of blocks averaging what is there. PIL divides with a float-derived
 * fixed-point multiplier, `((sum + n/2) * floor(2^32 / (256 n))) >> 24`, which is reproduced exactly here.
 */
export function pilReduce(src: Raster, fx: number, fy: number, box: [number, number, number, number]): Raster {
  const [x0, y0, x1, y1] = box;
  const w = x1 - x0;
  const h = y1 - y0;
  if (!(fx >= 1 && fy >= 1) || !Number.isInteger(fx) || !Number.isInteger(fy)) {
    throw new RangeError(`reduce factors must be positive integers, got ${fx}x${fy}`);
  }
  if (x0 < 0 || y0 < 0 || x1 > src.width || y1 > src.height || w <= 0 || h <= 0) {
    throw new RangeError(`reduce box [${box}] is outside the ${src.width}x${src.height} image`);
  }
  const ch = src.channels;
  const outW = Math.ceil(w / fx);
  const outH = Math.ceil(h / fy);
  const out = createRaster(outW, outH, ch);
  for (let oy = 0; oy < outH; oy++) {
    const yFrom = y0 + oy * fy;
    const yTo = Math.min(yFrom + fy, y1);
    for (let ox = 0; ox < outW; ox++) {
      const xFrom = x0 + ox * fx;
      const xTo = Math.min(xFrom + fx, x1);
      const n = (yTo - yFrom) * (xTo - xFrom);
      const multiplier = divisionMultiplier(n);
      const amend = Math.floor(n / 2);
      for (let b = 0; b < ch; b++) {
        let ss = amend;
        for (let y = yFrom; y < yTo; y++) {
          const row = y * src.width * ch;
          for (let x = xFrom; x < xTo; x++) ss += src.data[row + x * ch + b];
        }
        out.data[(oy * outW + ox) * ch + b] = Math.floor((ss * multiplier) / 2 ** 24);
      }
    }
  }
  return out;
}

/** `division_UINT32(n, 8)`: `(UINT32)(4294967296.0f / (float)(256 * n))`, a float32 division truncated. */
function divisionMultiplier(n: number): number {
  return Math.trunc(Math.fround(4294967296 / Math.fround(256 * n)));
}
