import { IMAGE_LIMITS, ImageBytesError, type ImageBytesInfo, inspectImageBytes } from '@kandinsky/protocol/image-bytes';
import { ApiError } from '../errors/api-error';
import { fromBase64 } from '../lib/crypto';

/** A checked input image ready to be stored. */
export interface InputImage extends ImageBytesInfo {
  bytes: Uint8Array;
}

const DATA_URL = /^data:(image\/[a-z0-9.+-]+);base64,/i;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Resolves an image reference (base64, data URL, or `attachment:<part>` in multipart requests) to checked bytes with
 * the check the runner runs before decoding (`inspectImageBytes` with the shared `IMAGE_LIMITS`): at most 8 MiB, a
 * real PNG/JPEG/WebP by its content, sides within 16..4096 px, and data that matches its own headers (PNG data that
 * inflates to exactly the declared rows, JPEG markers through EOI, consistent WebP sizes). So the edge refuses what
 * the runner would refuse, before a job is queued.
 * @throws ApiError 400 with `param` naming the field: `image_too_large`, `invalid_image_format` (not PNG/JPEG/WebP,
 *   or a variant the runner cannot decode), `invalid_image_dimensions`, `invalid_image` (anything else).
 */
export async function resolveInputImage(
  ref: string,
  param: string,
  attachments: ReadonlyMap<string, Uint8Array>,
): Promise<InputImage> {
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
    // Refuse before decoding: the decoded size is within 2 bytes of 3/4 of the text.
    if ((base64.length / 4) * 3 > IMAGE_LIMITS.maxBytes + 2) throw refused(param, tooLargeError(base64.length));
    bytes = fromBase64(base64);
  }
  try {
    return { ...(await inspectImageBytes(bytes, IMAGE_LIMITS)), bytes };
  } catch (err) {
    if (err instanceof ImageBytesError) throw refused(param, err);
    throw err;
  }
}

function tooLargeError(base64Length: number): ImageBytesError {
  return new ImageBytesError('file_too_large', `about ${Math.floor((base64Length / 4) * 3)} bytes`);
}

/** The 400 for an image the shared check refused, keeping the edge's established codes. */
function refused(param: string, err: ImageBytesError): ApiError {
  switch (err.code) {
    case 'file_too_large':
      return new ApiError(400, `${param} exceeds ${IMAGE_LIMITS.maxBytes} bytes.`, { param, code: 'image_too_large' });
    case 'unsupported_format':
      return new ApiError(400, `${param} is not a supported PNG, JPEG or WebP image: ${err.message}.`, {
        param,
        code: 'invalid_image_format',
      });
    case 'bad_dimensions':
    case 'too_large':
      return new ApiError(
        400,
        `${param} must be between ${IMAGE_LIMITS.minSide} and ${IMAGE_LIMITS.maxSide} pixels per side: ${err.message}.`,
        { param, code: 'invalid_image_dimensions' },
      );
    default:
      return new ApiError(400, `${param} is not a valid image: ${err.message}.`, { param, code: 'invalid_image' });
  }
}
