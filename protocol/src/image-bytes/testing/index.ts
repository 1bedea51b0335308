/** Test-only helpers (`@kandinsky/protocol/image-bytes/testing`): write PNG files of every kind, then damage them. */
export {
  type AssemblePngOptions,
  assemblePng,
  concatBytes,
  PNG_SIGNATURE,
  pngChunk,
  pngHeaderData,
  pngScanlineData,
  type TestPngSpec,
  zlibStored,
  zlibZeros,
} from './png-builder.js';
