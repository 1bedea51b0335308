/** Image formats accepted as inputs. */
export type ImageFormat = 'png' | 'jpeg' | 'webp';

/** What {@link probeImage} found. */
export interface ImageInfo {
  format: ImageFormat;
  contentType: string;
  width: number;
  height: number;
}

const u16be = (b: Uint8Array, i: number) => (b[i] << 8) | b[i + 1];
const u32be = (b: Uint8Array, i: number) => ((b[i] << 24) >>> 0) + ((b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]);
const u24le = (b: Uint8Array, i: number) => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16);

function probePng(b: Uint8Array): ImageInfo | null {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (b.length < 33 || !signature.every((byte, i) => b[i] === byte)) return null;
  // The first chunk must be IHDR (length 13).
  if (u32be(b, 8) !== 13 || String.fromCharCode(b[12], b[13], b[14], b[15]) !== 'IHDR') return null;
  return { format: 'png', contentType: 'image/png', width: u32be(b, 16), height: u32be(b, 20) };
}

function probeJpeg(b: Uint8Array): ImageInfo | null {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return null;
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return null;
    const marker = b[i + 1];
    if (marker === 0xff) {
      i += 1; // fill byte
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return null; // end/scan before any frame header
    const length = u16be(b, i + 2);
    if (length < 2) return null;
    // SOF0..SOF15 except DHT (C4), JPG (C8), DAC (CC) carry the frame size.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { format: 'jpeg', contentType: 'image/jpeg', width: u16be(b, i + 7), height: u16be(b, i + 5) };
    }
    i += 2 + length;
  }
  return null;
}

function probeWebp(b: Uint8Array): ImageInfo | null {
  const tag = (i: number) => String.fromCharCode(b[i], b[i + 1], b[i + 2], b[i + 3]);
  if (b.length < 30 || tag(0) !== 'RIFF' || tag(8) !== 'WEBP') return null;
  const chunk = tag(12);
  if (chunk === 'VP8 ' && b[23] === 0x9d && b[24] === 0x01 && b[25] === 0x2a) {
    const width = (b[26] | (b[27] << 8)) & 0x3fff;
    const height = (b[28] | (b[29] << 8)) & 0x3fff;
    return { format: 'webp', contentType: 'image/webp', width, height };
  }
  if (chunk === 'VP8L' && b[20] === 0x2f) {
    const bits = b[21] | (b[22] << 8) | (b[23] << 16) | (b[24] << 24);
    return {
      format: 'webp',
      contentType: 'image/webp',
      width: (bits & 0x3fff) + 1,
      height: ((bits >>> 14) & 0x3fff) + 1,
    };
  }
  if (chunk === 'VP8X') {
    return { format: 'webp', contentType: 'image/webp', width: u24le(b, 24) + 1, height: u24le(b, 27) + 1 };
  }
  return null;
}

/**
 * Identifies a PNG, JPEG or WebP from its header bytes and reads its dimensions, without decoding pixels.
 * Returns null for anything else (including truncated headers); the content type a client declared is ignored.
 * @example probeImage(bytes) // { format: 'png', contentType: 'image/png', width: 512, height: 512 }
 */
export function probeImage(bytes: Uint8Array): ImageInfo | null {
  const info = probePng(bytes) ?? probeJpeg(bytes) ?? probeWebp(bytes);
  return info && info.width > 0 && info.height > 0 ? info : null;
}
