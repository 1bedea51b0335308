import { GENERATION_LIMITS, taskInputSchemas } from '@kandinsky/protocol';
import { ApiError } from '../errors/api-error';
import { validate } from '../lib/validate';
import { imageRef, type JobCreateRequest } from '../schemas/job-create';
import type { OpenAiEditRequest, OpenAiVariationRequest } from '../schemas/openai-edit';
import type { OpenAiForm } from './form-body';

/** A native job request made from an OpenAI-style one, with its uploads and the names its refusals use. */
export interface NativeRequest {
  request: JobCreateRequest;
  attachments: Map<string, Uint8Array>;
  /** The OpenAI field an input image field stands for (`image`, `image[1]`, `mask`). */
  paramName: (field: string) => string;
}

const inputs = taskInputSchemas(imageRef);
/** A fuse request mixes the prompt with at most this many images. */
export const MAX_EDIT_IMAGES = GENERATION_LIMITS.maxFuseInputs - 1;

/**
 * Maps `POST /v1/images/edits` onto the native tasks, checked by the one request contract (so limits and 400s are the
 * ones of `POST /v1/jobs`, named by the form's fields): one image and a mask is `inpaint` with OpenAI's mask
 * convention (`mask_source: "alpha"`: fully transparent pixels are repainted); one image without a mask is
 * `img2img`; several images without a mask are `fuse` of the prompt and the images, equally weighted.
 * `partial_images` (with `stream: true`) asks the job for that many previews.
 */
export function editRequest(form: OpenAiForm, body: OpenAiEditRequest): NativeRequest {
  const { images, mask } = form;
  if (images.length === 0) {
    throw new ApiError(400, 'An image to edit is required (the multipart file field "image").', {
      param: 'image',
      code: 'missing_required_parameter',
    });
  }
  if (mask && images.length > 1) {
    throw new ApiError(400, 'A mask can go with one image only; send a single image with it.', {
      param: 'mask',
      code: 'invalid_value',
    });
  }
  if (images.length > MAX_EDIT_IMAGES) {
    throw new ApiError(400, `At most ${MAX_EDIT_IMAGES} images can be combined in one edit (got ${images.length}).`, {
      param: 'image',
      code: 'invalid_value',
    });
  }
  const {
    prompt,
    model: _model,
    response_format: _format,
    user,
    stream,
    partial_images: partialImages,
    strength,
    ...sampling
  } = body;
  // Fields the task does not take (strength outside img2img) go to the contract too, which refuses them by name.
  const common = {
    ...sampling,
    ...(stream && partialImages !== undefined ? { partial_images: partialImages } : {}),
    ...(strength === undefined ? {} : { strength }),
  };
  const attachments = new Map<string, Uint8Array>(images.map((bytes, i) => [`image-${i}`, bytes]));
  let request: JobCreateRequest;
  if (images.length > 1) {
    const texts = [{ type: 'text', text: prompt, weight: 1 }];
    const parts = images.map((_, i) => ({ type: 'image', image: `attachment:image-${i}`, weight: 1 }));
    request = { task: 'fuse', input: validate(inputs.fuse, { inputs: [...texts, ...parts], ...common }), user };
  } else if (mask) {
    attachments.set('mask', mask);
    const input = validate(inputs.inpaint, {
      prompt,
      image: 'attachment:image-0',
      mask: 'attachment:mask',
      mask_source: 'alpha',
      ...common,
    });
    request = { task: 'inpaint', input, user };
  } else {
    request = {
      task: 'img2img',
      input: validate(inputs.img2img, { prompt, image: 'attachment:image-0', ...common }),
      user,
    };
  }
  return {
    request,
    attachments,
    paramName: (field) =>
      field === 'mask' ? 'mask' : field.startsWith('inputs.') ? `image[${Number(field.split('.')[1]) - 1}]` : 'image',
  };
}

/** Maps `POST /v1/images/variations` (exactly one image) onto the native `variation` task, checked by the contract. */
export function variationRequest(form: OpenAiForm, body: OpenAiVariationRequest): NativeRequest {
  if (form.images.length !== 1) {
    throw new ApiError(
      400,
      form.images.length === 0
        ? 'An image is required (the multipart file field "image").'
        : `A variation takes one image (got ${form.images.length}).`,
      { param: 'image', code: form.images.length === 0 ? 'missing_required_parameter' : 'invalid_value' },
    );
  }
  if (form.mask) {
    throw new ApiError(400, 'Unrecognized request argument supplied: mask', {
      param: 'mask',
      code: 'unknown_parameter',
    });
  }
  const { model: _model, response_format: _format, user, ...sampling } = body;
  const input = validate(inputs.variation, { image: 'attachment:image-0', ...sampling });
  return {
    request: { task: 'variation', input, user },
    attachments: new Map([['image-0', form.images[0]]]),
    paramName: () => 'image',
  };
}
