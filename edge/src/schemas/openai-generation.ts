import { z } from 'zod';
import { promptField, samplingFields } from './generation';

/** Model names accepted on the OpenAI-compatible endpoint. */
export const MODEL_NAMES = ['kandinsky-2.1', 'kandinsky-2-1'] as const;

/**
 * Body of `POST /v1/images/generations`: OpenAI's fields (prompt, n, size, response_format, user, model) plus
 * Kandinsky's sampling fields. Unknown fields are refused.
 */
export const openAiGenerationSchema = z.strictObject({
  prompt: promptField,
  model: z.enum(MODEL_NAMES).optional(),
  response_format: z.enum(['url', 'b64_json']).default('url'),
  user: z.string().max(256).optional(),
  ...samplingFields,
});

/** Parsed body of `POST /v1/images/generations`. */
export type OpenAiGenerationRequest = z.infer<typeof openAiGenerationSchema>;
