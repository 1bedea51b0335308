import { GENERATION_LIMITS } from '@kandinsky/protocol';
import { IMAGE_LIMITS } from '@kandinsky/protocol/image-bytes';
import { MAX_EDIT_IMAGES } from '../openai/native-request';
import { imagesResponseSchema } from '../schemas/images-response';
import { openAiEditSchema, openAiVariationSchema } from '../schemas/openai-edit';
import { openAiGenerationSchema } from '../schemas/openai-generation';
import { errorResponses, json, ref } from './document-parts';
import { inputSchema, outputSchema } from './json-schema';

/**
 * The OpenAI-compatible part of the OpenAPI document: `/v1/images/{generations,edits,variations}` and their schemas.
 * Request schemas come from the validators (the multipart ones add the file parts, which zod does not see).
 */

const idempotencyKey = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  schema: { type: 'string', maxLength: 255 },
};
const file = (description: string) => ({ type: 'string', format: 'binary', description });
const imageFiles = `PNG, JPEG or WebP, up to ${IMAGE_LIMITS.maxBytes / 1024 / 1024} MiB, ${IMAGE_LIMITS.minSide}..${IMAGE_LIMITS.maxSide} px per side`;

const streamEvents = (kind: string) =>
  [
    `With \`stream: true\`: Server-Sent Events as OpenAI sends them. \`event: ${kind}.partial_image\` for each of`,
    `\`partial_images\` (0..${GENERATION_LIMITS.maxPartialImages}) previews, decoded from that denoising step's predicted clean latents`,
    `(\`{ type, b64_json, partial_image_index, size, output_format, ... }\`; fewer when there are fewer steps), then`,
    `\`event: ${kind}.completed\` for each image (\`{ type, b64_json, size, output_format, usage, ... }\`). Images are`,
    '`b64_json` whatever `response_format` says. A job that fails ends the stream with `event: error` and an error body.',
  ].join(' ');

const answers = (kind: string | null) => ({
  '200': {
    description: kind ? `The images, or (stream: true) the event stream. ${streamEvents(kind)}` : 'The images',
    content: {
      ...json(ref('ImagesResponse')),
      ...(kind ? { 'text/event-stream': { schema: { type: 'string' } } } : {}),
    },
  },
  ...errorResponses(400, 401, 409, 413, 415, 429, 503),
  '500': { description: 'Generation failed', content: json(ref('Error')) },
  '504': {
    description: 'Not finished in time; follow the job at /v1/jobs/{id} (id in the message).',
    content: json(ref('Error')),
  },
});

/** The three images paths. */
export const imagesPaths = {
  '/v1/images/generations': {
    post: {
      tags: ['images'],
      summary: 'Create images (OpenAI-compatible; waits for the result or streams it)',
      description: 'A text2image job through the request contract; `x-job-id` names it.',
      security: [{ apiKey: [] }],
      parameters: [idempotencyKey],
      requestBody: { required: true, content: json(ref('ImageGenerationRequest')) },
      responses: answers('image_generation'),
    },
  },
  '/v1/images/edits': {
    post: {
      tags: ['images'],
      summary: 'Edit images (OpenAI-compatible multipart; waits for the result or streams it)',
      description: [
        "One `image` and a `mask` is inpainting with OpenAI's mask convention: the fully transparent pixels of the",
        "mask's alpha channel are repainted (a mask without an alpha channel is refused,",
        "`invalid_mask_image_format`; the mask has the image's size). One `image` without a mask is img2img",
        `(\`strength\`). Several images (\`image[]\`, up to ${MAX_EDIT_IMAGES}) without a mask are fused with the prompt,`,
        'equally weighted. Limits and 400s are those of `POST /v1/jobs`, named by the form fields.',
      ].join(' '),
      security: [{ apiKey: [] }],
      parameters: [idempotencyKey],
      requestBody: { required: true, content: { 'multipart/form-data': { schema: ref('ImageEditRequest') } } },
      responses: answers('image_edit'),
    },
  },
  '/v1/images/variations': {
    post: {
      tags: ['images'],
      summary: 'Create variations of an image (OpenAI-compatible multipart; waits for the result)',
      security: [{ apiKey: [] }],
      parameters: [idempotencyKey],
      requestBody: { required: true, content: { 'multipart/form-data': { schema: ref('ImageVariationRequest') } } },
      responses: answers(null),
    },
  },
};

/** A multipart schema: the validator's text fields plus file parts. */
function withFiles(schema: Record<string, unknown>, files: Record<string, unknown>, required: string[]) {
  return {
    ...schema,
    properties: { ...(schema.properties as Record<string, unknown>), ...files },
    required: [...((schema.required as string[] | undefined) ?? []), ...required],
  };
}

/** The schemas the images paths refer to. */
export const imagesSchemas = {
  ImageGenerationRequest: inputSchema(openAiGenerationSchema),
  ImageEditRequest: withFiles(
    inputSchema(openAiEditSchema),
    {
      image: {
        oneOf: [
          file(`The image to edit: ${imageFiles}`),
          {
            type: 'array',
            items: file('Several images (`image[]`) are fused with the prompt'),
            maxItems: MAX_EDIT_IMAGES,
          },
        ],
      },
      mask: file('PNG with an alpha channel, the size of the image: fully transparent pixels are repainted'),
    },
    ['image'],
  ),
  ImageVariationRequest: withFiles(inputSchema(openAiVariationSchema), { image: file(imageFiles) }, ['image']),
  ImagesResponse: outputSchema(imagesResponseSchema),
};
