import { crc32 } from './checksums.js';

/** The 8 bytes every PNG starts with. */
export const PNG_SIGNATURE = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * One PNG chunk as written to a file: big-endian data length, the 4-letter type, the data, and the CRC-32 over type
 * and data.
 * @example concatBytes(PNG_SIGNATURE, pngChunk('IHDR', header), pngChunk('IDAT', zlibData), pngChunk('IEND'))
 */
export function pngChunk(type: string, data: Uint8Array = new Uint8Array()): Uint8Array {
  if (!/^[A-Za-z]{4}$/.test(type)) throw new Error(`a PNG chunk type is 4 ASCII letters, not ${JSON.stringify(type)}`);
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** The byte arrays one after another, in a new array. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
