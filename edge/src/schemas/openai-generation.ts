import { checkSize, promptSchema, samplingFields } from '@kandinsky/protocol';
import { z } from 'zod';

/** Model names accepted on the OpenAI-compatible endpoint. */
export const MODEL_NAMES = ['kandinsky-2.1', 'kandinsky-2-1'] as const;

/**
 * Body of `POST /v1/images/generations`: OpenAI's fields (prompt, n, size, response_format, user, model) plus the
 * contract's sampling fields for text2image, with the same ranges and rules as `POST /v1/jobs`. Unknown fields are
 * refused.
 */
export const openAiGenerationSchema = z
  .strictObject({
    prompt: promptSchema,
    model: z.enum(MODEL_NAMES).optional(),
    response_format: z.enum(['url', 'b64_json']).default('url'),
    user: z.string().max(256).optional(),
    ...samplingFields,
  })
  .superRefine(checkSize);

/** Parsed body of `POST /v1/images/generations`. */
export type OpenAiGenerationRequest = z.output<typeof openAiGenerationSchema>;
