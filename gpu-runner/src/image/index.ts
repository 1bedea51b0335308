/**
 * Image input/output for the pipelines: decoding uploads (PNG, JPEG, WebP; exact), PIL-exact resampling, the
 * reference pipelines' preprocessing (img2img/inpaint init image, inpaint mask, CLIPImageProcessor) and the
 * decoder-output -> PNG/JPEG/WebP path.
 */
export {
  CLIP_IMAGE_PROCESSOR_DEFAULTS,
  type ClipImageProcessorConfig,
  clipPreprocess,
  parseClipImageProcessorConfig,
} from './clip-image-processor.js';
export { DEFAULT_MAX_IMAGE_PIXELS, type DecodeImageOptions, decodeImage } from './decode-image.js';
export { type EncodeImageOptions, encodeImage, OUTPUT_CONTENT_TYPES, type OutputFormat } from './encode-image.js';
export { ImageInputError, type ImageInputErrorCode } from './image-errors.js';
export { clipImagesToTensor, initImagesToTensor, latentKeepMaskTensor } from './image-tensors.js';
export { prepareInitImage } from './init-image.js';
export { latentKeepMask, prepareKeepMaskFromArray, prepareKeepMaskFromImage } from './inpaint-mask.js';
export { rgbToLuma } from './pil-convert.js';
export { pilResize } from './pil-resize.js';
export { readPngText } from './png-encode.js';
export { decodedToUint8, imageTensorToRasters } from './postprocess.js';
export type { Raster } from './raster.js';
