/**
 * The structural check of user image bytes that the edge and the runner share (`@kandinsky/protocol/image-bytes`),
 * the image limits both sides apply, and the building blocks the runner's decoders reuse (PNG chunk and scanline
 * readers, JPEG and WebP structure readers, a bounded zlib inflater, checksums). Runtime-neutral: no Node or Workers
 * API, only `Uint8Array`.
 */
export { adler32, crc32 } from './checksums.js';
export { ImageBytesError, type ImageBytesErrorCode } from './errors.js';
export { inflateZlib } from './inflate.js';
export {
  checkImageSize,
  type ImageBytesInfo,
  type InputImageFormat,
  inspectImageBytes,
} from './inspect-image-bytes.js';
export { verifyJpegScans } from './jpeg-scans.js';
export {
  type JpegComponent,
  type JpegHuffmanTable,
  type JpegScan,
  type JpegStructure,
  readJpegStructure,
} from './jpeg-structure.js';
export { IMAGE_LIMITS, type ImageLimits } from './limits.js';
export { concatBytes, PNG_SIGNATURE, pngChunk } from './png-chunks.js';
export { checkZlibHeader, trailingAdler, verifyPngImageData, zlibErrorCode } from './png-image-data.js';
export { type PngRowSink, PngScanlines, type PngScanlinesOptions } from './png-scanlines.js';
export {
  hasPngSignature,
  PNG_CHANNELS,
  type PngHeader,
  type PngPass,
  type PngStructure,
  pngImageDataSize,
  pngPasses,
  readPngStructure,
} from './png-structure.js';
export { type ImageFormat, sniffImageFormat } from './sniff-format.js';
export { readWebpStructure, type WebpStructure } from './webp-structure.js';
