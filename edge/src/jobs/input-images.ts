import { ApiError } from '../errors/api-error';
import { fromBase64 } from '../lib/crypto';
import { type ImageInfo, probeImage } from '../lib/image-probe';

/** Largest accepted input image, in bytes (decoded). */
export const MAX_IMAGE_BYTES = 8 * 1024 * 1024;
/** Largest accepted input image side, in pixels (inputs are resized by the runner). */
export const MAX_IMAGE_SIDE = 4096;
const MIN_IMAGE_SIDE = 16;

/** A checked input image ready to be stored. */
export interface InputImage extends ImageInfo {
  bytes: Uint8Array;
}

const DATA_URL = /^data:(image\/[a-z0-9.+-]+);base64,/i;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Resolves an image reference (base64, data URL, or `attachment:<part>` in multipart requests) to checked bytes:
 * at most {@link MAX_IMAGE_BYTES}, a real PNG/JPEG/WebP by its magic bytes, sides within 16..4096 px.
 * @throws ApiError 400 with `param` naming the field.
 */
export function resolveInputImage(
  ref: string,
  param: string,
  attachments: ReadonlyMap<string, Uint8Array>,
): InputImage {
  let bytes: Uint8Array;
  if (ref.startsWith('attachment:')) {
    const name = ref.slice('attachment:'.length);
    const attached = attachments.get(name);
    if (!attached)
      throw new ApiError(400, `No uploaded file part named "${name}".`, { param, code: 'missing_attachment' });
    bytes = attached;
  } else {
    const base64 = ref.replace(DATA_URL, '').replace(/\s+/g, '');
    if (base64.length === 0 || base64.length % 4 !== 0 || !BASE64.test(base64)) {
      throw new ApiError(400, `${param} is not valid base64 image data.`, { param, code: 'invalid_image' });
    }
    if ((base64.length / 4) * 3 > MAX_IMAGE_BYTES + 2) throw tooLarge(param);
    bytes = fromBase64(base64);
  }
  if (bytes.byteLength > MAX_IMAGE_BYTES) throw tooLarge(param);
  const info = probeImage(bytes);
  if (!info) {
    throw new ApiError(400, `${param} is not a PNG, JPEG or WebP image.`, { param, code: 'invalid_image_format' });
  }
  if (
    info.width > MAX_IMAGE_SIDE ||
    info.height > MAX_IMAGE_SIDE ||
    info.width < MIN_IMAGE_SIDE ||
    info.height < MIN_IMAGE_SIDE
  ) {
    throw new ApiError(
      400,
      `${param} must be between ${MIN_IMAGE_SIDE} and ${MAX_IMAGE_SIDE} pixels per side (got ${info.width}x${info.height}).`,
      {
        param,
        code: 'invalid_image_dimensions',
      },
    );
  }
  return { ...info, bytes };
}

function tooLarge(param: string): ApiError {
  return new ApiError(400, `${param} exceeds ${MAX_IMAGE_BYTES} bytes.`, { param, code: 'image_too_large' });
}
