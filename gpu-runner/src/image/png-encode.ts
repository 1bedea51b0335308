import { concatBytes, pngChunk } from '@kandinsky/protocol/image-bytes';
import { PNG } from 'pngjs';
import type { Raster } from './raster.js';

/**
 * Encodes an RGB raster as an 8-bit RGB PNG, with `text` entries stored as uncompressed `iTXt` chunks (UTF-8, so
 * prompts in any language survive) placed before the image data, where readers look for them first. A
 * `parameters` entry holding the generation settings as JSON is what the service writes.
 */
export function encodePng(image: Raster, text: Record<string, string> = {}): Uint8Array {
  if (image.channels !== 3) throw new Error(`encodePng expects RGB, got ${image.channels} channels`);
  const rgba = Buffer.alloc(image.width * image.height * 4);
  for (let p = 0, i = 0; p < image.width * image.height; p++, i += 3) {
    rgba[p * 4] = image.data[i];
    rgba[p * 4 + 1] = image.data[i + 1];
    rgba[p * 4 + 2] = image.data[i + 2];
    rgba[p * 4 + 3] = 255;
  }
  const png = new Uint8Array(
    PNG.sync.write({ width: image.width, height: image.height, data: rgba } as PNG, { colorType: 2 }),
  );
  const chunks = Object.entries(text).map(([key, value]) => itxtChunk(key, value));
  if (chunks.length === 0) return png;
  // Signature (8) + IHDR (4 length + 4 type + 13 data + 4 CRC) = 33 bytes; text chunks go right after IHDR.
  const ihdrEnd = 33;
  return concatBytes(png.subarray(0, ihdrEnd), ...chunks, png.subarray(ihdrEnd));
}

/** Reads the `tEXt` and `iTXt` (uncompressed) entries of a PNG. */
export function readPngText(png: Uint8Array): Record<string, string> {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const out: Record<string, string> = {};
  let pos = 8;
  while (pos + 8 <= png.length) {
    const length = view.getUint32(pos);
    const type = String.fromCharCode(...png.subarray(pos + 4, pos + 8));
    const data = Buffer.from(png.buffer, png.byteOffset + pos + 8, Math.min(length, png.length - pos - 8));
    if (type === 'tEXt') {
      const sep = data.indexOf(0);
      out[data.subarray(0, sep).toString('latin1')] = data.subarray(sep + 1).toString('latin1');
    } else if (type === 'iTXt') {
      const keyEnd = data.indexOf(0);
      const compressed = data[keyEnd + 1] === 1;
      const langEnd = data.indexOf(0, keyEnd + 3);
      const transEnd = data.indexOf(0, langEnd + 1);
      if (!compressed) out[data.subarray(0, keyEnd).toString('latin1')] = data.subarray(transEnd + 1).toString('utf8');
    } else if (type === 'IEND') {
      break;
    }
    pos += 12 + length;
  }
  return out;
}

/** iTXt: keyword NUL, compression flag 0, method 0, empty language tag NUL, empty translated keyword NUL, UTF-8 text. */
function itxtChunk(keyword: string, text: string): Uint8Array {
  if (!/^[\x20-\x7e]{1,79}$/.test(keyword) || keyword !== keyword.trim() || keyword.includes('  ')) {
    throw new Error(
      `invalid PNG text keyword ${JSON.stringify(keyword)} (1-79 printable ASCII, no edge/double spaces)`,
    );
  }
  const encoder = new TextEncoder();
  // The keyword is printable ASCII (checked above), so its UTF-8 bytes are its Latin-1 bytes.
  const data = concatBytes(encoder.encode(keyword), new Uint8Array(5), encoder.encode(text));
  return pngChunk('iTXt', data);
}
