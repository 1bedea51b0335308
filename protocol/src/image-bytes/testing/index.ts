/** Test-only helpers (`@kandinsky/protocol/image-bytes/testing`): write PNG files of every kind, then damage them. */
export { concatBytes, PNG_SIGNATURE, pngChunk } from '../png-chunks.js';
export {
  type AssemblePngOptions,
  assemblePng,
  pngHeaderData,
  pngScanlineData,
  type TestPngSpec,
  zlibStored,
  zlibZeros,
} from './png-builder.js';
