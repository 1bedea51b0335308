import { PNG_SIGNATURE } from './image-bytes/png-chunks.js';

/** OpenAI's answer to an edit whose mask has no alpha channel (message and code), reused word for word. */
export const MASK_WITHOUT_ALPHA = {
  message: 'Invalid mask image format - mask image missing alpha channel',
  code: 'invalid_mask_image_format',
} as const;

/**
 * Whether a PNG carries an alpha channel, from its chunk headers alone (no pixel is inflated): colour type 4 (grey +
 * alpha) or 6 (RGBA), or a `tRNS` chunk before the image data (transparency for palette, grey or RGB images). False
 * for anything that is not a PNG with a readable IHDR.
 * @example pngHasAlpha(rgbaPngBytes) // true
 */
export function pngHasAlpha(bytes: Uint8Array): boolean {
  if (bytes.length < 33 || !PNG_SIGNATURE.every((byte, i) => bytes[i] === byte)) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let colorType = -1;
  for (let pos = 8; pos + 8 <= bytes.length; ) {
    const length = view.getUint32(pos);
    const type = String.fromCharCode(bytes[pos + 4], bytes[pos + 5], bytes[pos + 6], bytes[pos + 7]);
    if (pos === 8) {
      if (type !== 'IHDR' || length !== 13 || pos + 8 + 13 > bytes.length) return false;
      colorType = bytes[pos + 8 + 9];
      if (colorType === 4 || colorType === 6) return true;
    } else if (type === 'tRNS') {
      return true;
    } else if (type === 'IDAT' || type === 'IEND') {
      // tRNS must come before the image data.
      return false;
    }
    pos += 12 + length;
  }
  return false;
}

/**
 * Why `mask` cannot be read with the `alpha` mask convention (OpenAI's wording), or null when it can: the mask must be
 * a PNG with an alpha channel ({@link pngHasAlpha}).
 */
export function maskAlphaProblem(mask: Uint8Array): string | null {
  return pngHasAlpha(mask)
    ? null
    : `${MASK_WITHOUT_ALPHA.message} (send a PNG whose fully transparent pixels mark the area to edit)`;
}
