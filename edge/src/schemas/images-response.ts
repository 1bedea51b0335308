import { z } from 'zod';

/**
 * OpenAI's images response, `{ created, data: [{ url } | { b64_json }] }`: the type openai/image-response.ts answers
 * with and the OpenAPI document's `ImagesResponse` schema.
 */
export const imagesResponseSchema = z.object({
  created: z.number().int(),
  data: z.array(
    z.object({
      url: z.string().optional(),
      b64_json: z.string().optional(),
      revised_prompt: z.string().optional(),
    }),
  ),
});
