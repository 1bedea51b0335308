import { checkSize, checkStreaming, promptSchema, samplingFields, streamingFields } from '@kandinsky/protocol';
import { z } from 'zod';

/** Model names accepted on the OpenAI-compatible endpoints. */
export const MODEL_NAMES = ['kandinsky-2.1', 'kandinsky-2-1'] as const;

/** The fields every OpenAI-compatible images endpoint takes besides the request itself. */
export const openAiEnvelopeFields = {
  model: z.enum(MODEL_NAMES).optional(),
  response_format: z.enum(['url', 'b64_json']).default('url'),
  user: z.string().max(256).optional(),
};

/**
 * Body of `POST /v1/images/generations`: OpenAI's fields (prompt, n, size, response_format, user, model, stream,
 * partial_images) plus the contract's sampling fields for text2image, with the same ranges and rules as
 * `POST /v1/jobs` (the route checks the text2image input against the contract too). Unknown fields are refused.
 */
export const openAiGenerationSchema = z
  .strictObject({ prompt: promptSchema, ...openAiEnvelopeFields, ...samplingFields, ...streamingFields })
  .superRefine((value, ctx) => {
    checkSize(value, ctx);
    checkStreaming(value, ctx);
  });

/** Parsed body of `POST /v1/images/generations`. */
export type OpenAiGenerationRequest = z.output<typeof openAiGenerationSchema>;
