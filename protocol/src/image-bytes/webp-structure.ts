import { ImageBytesError } from './errors.js';

/** A still WebP's layout after every container rule was checked. */
export interface WebpStructure {
  width: number;
  height: number;
  /** The image bitstream: `VP8 ` (lossy) or `VP8L` (lossless). */
  codec: 'VP8 ' | 'VP8L';
  /** True for the extended format (a VP8X chunk first). */
  extended: boolean;
  /** Every chunk's four-character type and payload, in file order. */
  chunks: { type: string; data: Uint8Array }[];
}

const u24le = (b: Uint8Array, i: number) => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16);
const u32le = (b: Uint8Array, i: number) => (u24le(b, i) | (b[i + 3] << 24)) >>> 0;
const tag = (b: Uint8Array, i: number) => String.fromCharCode(b[i], b[i + 1], b[i + 2], b[i + 3]);
const corrupt = (message: string) => new ImageBytesError('corrupt', message);

/** Reads a lossy bitstream's frame header (RFC 6386 9.1): a shown key frame, its size, its first partition in bounds. */
function readVp8(data: Uint8Array): { width: number; height: number } {
  if (data.length < 10)
    throw new ImageBytesError('truncated', `WebP VP8 chunk is ${data.length} bytes, too short for a frame header`);
  const bits = u24le(data, 0);
  if ((bits & 1) !== 0) throw corrupt('WebP VP8 bitstream is not a key frame');
  if (((bits >> 1) & 7) > 3) throw corrupt(`WebP VP8 bitstream has an unknown profile ${(bits >> 1) & 7}`);
  if (((bits >> 4) & 1) === 0) throw corrupt('WebP VP8 frame is not displayable');
  const partition = bits >>> 5;
  if (data[3] !== 0x9d || data[4] !== 0x01 || data[5] !== 0x2a) throw corrupt('WebP VP8 frame has a bad start code');
  if (partition > data.length - 10) {
    throw new ImageBytesError('truncated', `WebP VP8 first partition (${partition} bytes) runs past its chunk`);
  }
  const width = (data[6] | (data[7] << 8)) & 0x3fff;
  const height = (data[8] | (data[9] << 8)) & 0x3fff;
  if (width === 0 || height === 0) throw corrupt(`WebP VP8 frame declares an invalid size ${width}x${height}`);
  return { width, height };
}

/** Reads a lossless bitstream's header: signature 0x2f, 14-bit sizes, version 0. */
function readVp8l(data: Uint8Array): { width: number; height: number } {
  if (data.length < 5)
    throw new ImageBytesError('truncated', `WebP VP8L chunk is ${data.length} bytes, too short for a header`);
  if (data[0] !== 0x2f) throw corrupt('WebP VP8L bitstream has a bad signature');
  const bits = u32le(data, 1);
  if (bits >>> 29 !== 0) throw corrupt(`WebP VP8L bitstream has an unknown version ${bits >>> 29}`);
  return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
}

/** Checks an ALPH chunk's header (and a raw one's size) as libwebp does before it decodes the alpha plane. */
function checkAlpha(data: Uint8Array, width: number, height: number): void {
  if (data.length < 1) throw new ImageBytesError('truncated', 'WebP ALPH chunk is empty');
  const method = data[0] & 3;
  const preprocessing = (data[0] >> 4) & 3;
  if (data[0] >> 6 !== 0 || method > 1 || preprocessing > 1)
    throw corrupt(`WebP ALPH chunk has an invalid header ${data[0]}`);
  if (method === 0 && data.length - 1 !== width * height) {
    throw new ImageBytesError(
      data.length - 1 < width * height ? 'truncated' : 'excess_data',
      `WebP raw ALPH chunk holds ${data.length - 1} bytes for a ${width}x${height} image`,
    );
  }
}

/**
 * Checks a WebP file's RIFF container: the RIFF size is the file's size, chunks tile it exactly (each padded to an
 * even length), the first chunk is VP8, VP8L or VP8X; a simple file holds its one bitstream chunk and nothing else;
 * an extended file is still (animation is `unsupported_format`), has exactly one VP8/VP8L chunk, at most one ALPH
 * before it, and its VP8X canvas equals the bitstream's size. Bitstream headers are checked too; the entropy-coded
 * data is left to libwebp, which refuses data that ends early.
 * @throws ImageBytesError
 */
export function readWebpStructure(bytes: Uint8Array): WebpStructure {
  if (bytes.length < 12 || tag(bytes, 0) !== 'RIFF' || tag(bytes, 8) !== 'WEBP') throw corrupt('not a WebP file');
  const riffSize = u32le(bytes, 4);
  if (riffSize + 8 > bytes.length) {
    throw new ImageBytesError(
      'truncated',
      `WebP RIFF size says ${riffSize + 8} bytes but the file has ${bytes.length}`,
    );
  }
  if (riffSize + 8 < bytes.length) {
    throw new ImageBytesError(
      'excess_data',
      `WebP RIFF size says ${riffSize + 8} bytes but the file has ${bytes.length}`,
    );
  }
  const chunks: WebpStructure['chunks'] = [];
  for (let pos = 12; pos < bytes.length; ) {
    if (pos + 8 > bytes.length) throw new ImageBytesError('truncated', `WebP chunk header at byte ${pos} is cut`);
    const type = tag(bytes, pos);
    const size = u32le(bytes, pos + 4);
    const end = pos + 8 + size + (size & 1);
    if (end > bytes.length) {
      throw new ImageBytesError(
        'truncated',
        `WebP ${JSON.stringify(type)} chunk at byte ${pos} runs past the RIFF data`,
      );
    }
    chunks.push({ type, data: bytes.subarray(pos + 8, pos + 8 + size) });
    pos = end;
  }
  if (chunks.length === 0) throw new ImageBytesError('truncated', 'WebP file has no chunks');
  const first = chunks[0];
  const readBitstream = (chunk: { type: string; data: Uint8Array }) =>
    chunk.type === 'VP8 ' ? readVp8(chunk.data) : readVp8l(chunk.data);

  if (first.type === 'VP8 ' || first.type === 'VP8L') {
    if (chunks.length > 1)
      throw corrupt(`simple WebP file has a ${JSON.stringify(chunks[1].type)} chunk after its bitstream`);
    return { ...readBitstream(first), codec: first.type, extended: false, chunks };
  }
  if (first.type !== 'VP8X') throw corrupt(`WebP file starts with an unknown ${JSON.stringify(first.type)} chunk`);
  if (first.data.length !== 10) throw corrupt(`WebP VP8X chunk is ${first.data.length} bytes, not 10`);
  if ((first.data[0] & 0x02) !== 0)
    throw new ImageBytesError('unsupported_format', 'animated WebP images are not supported');
  const canvas = { width: u24le(first.data, 4) + 1, height: u24le(first.data, 7) + 1 };
  const images = chunks.filter((c) => c.type === 'VP8 ' || c.type === 'VP8L');
  if (images.length !== 1) throw corrupt(`extended WebP file has ${images.length} image bitstreams, not 1`);
  if (chunks.some((c) => c.type === 'ANIM' || c.type === 'ANMF')) {
    throw corrupt('WebP file has animation chunks but its VP8X flags say it is still');
  }
  if (chunks.filter((c) => c.type === 'VP8X').length > 1) throw corrupt('WebP file has a second VP8X chunk');
  const image = images[0];
  const size = readBitstream(image);
  if (size.width !== canvas.width || size.height !== canvas.height) {
    throw corrupt(
      `WebP VP8X canvas is ${canvas.width}x${canvas.height} but its bitstream is ${size.width}x${size.height}`,
    );
  }
  const alphas = chunks.filter((c) => c.type === 'ALPH');
  if (alphas.length > 1) throw corrupt('WebP file has more than one ALPH chunk');
  if (alphas.length === 1) {
    if (chunks.indexOf(alphas[0]) > chunks.indexOf(image)) throw corrupt('WebP ALPH chunk comes after the bitstream');
    checkAlpha(alphas[0].data, size.width, size.height);
  }
  return { ...size, codec: image.type as WebpStructure['codec'], extended: true, chunks };
}
