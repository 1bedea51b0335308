/**
 * Browser module `output-size.js`: the output size that keeps an uploaded picture's shape within what the API
 * accepts (sides of 64..1024 px; the API rounds sides up to multiples of 64).
 */
// biome-ignore lint/complexity/noUselessStringRaw: browser code must reach the page verbatim, backslashes included.
export const OUTPUT_SIZE_JS = String.raw`
const MAX_SIDE = 1024;
const MIN_SIDE = 64;
const MULTIPLE = 64;

/**
 * "WxH" for an image of width x height: scaled down (never up) so the longer side fits 1024, each side rounded to the
 * nearest multiple of 64 and at least 64.
 * @param {number} width
 * @param {number} height
 */
export function outputSizeFor(width, height) {
  const scale = Math.min(1, MAX_SIDE / Math.max(width, height));
  const side = (value) => Math.min(MAX_SIDE, Math.max(MIN_SIDE, Math.round((value * scale) / MULTIPLE) * MULTIPLE));
  return side(width) + 'x' + side(height);
}
`;
