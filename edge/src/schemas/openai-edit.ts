import {
  checkSize,
  checkStreaming,
  promptSchema,
  samplingFields,
  streamingFields,
  strengthSchema,
} from '@kandinsky/protocol';
import { z } from 'zod';
import { openAiEnvelopeFields } from './openai-generation';

/**
 * The text fields of `POST /v1/images/edits` (multipart; the files `image` / `image[]` and `mask` come beside them):
 * OpenAI's (prompt, n, size, response_format, user, model, stream, partial_images) plus the contract's sampling
 * fields and `strength` (img2img only). Form values arrive as text and are read as numbers and booleans where the
 * field is one (see openai/form-body.ts). Unknown fields are refused.
 */
export const openAiEditSchema = z
  .strictObject({
    prompt: promptSchema,
    ...openAiEnvelopeFields,
    ...samplingFields,
    ...streamingFields,
    strength: strengthSchema.optional().describe('img2img (an image without a mask) only: how much to change, (0, 1]'),
  })
  .superRefine((value, ctx) => {
    checkSize(value, ctx);
    checkStreaming(value, ctx);
  });

/** Parsed text fields of `POST /v1/images/edits`. */
export type OpenAiEditRequest = z.output<typeof openAiEditSchema>;

/**
 * The text fields of `POST /v1/images/variations` (multipart, beside the file `image`): OpenAI's (n, size,
 * response_format, user, model) plus the contract's sampling fields. Unknown fields are refused.
 */
export const openAiVariationSchema = z
  .strictObject({ ...openAiEnvelopeFields, ...samplingFields })
  .superRefine(checkSize);

/** Parsed text fields of `POST /v1/images/variations`. */
export type OpenAiVariationRequest = z.output<typeof openAiVariationSchema>;
