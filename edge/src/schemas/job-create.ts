import { generationRequestSchema } from '@kandinsky/protocol';
import { z } from 'zod';

/**
 * An input image: base64 (optionally as a `data:image/…;base64,` URL) or, in multipart requests,
 * `attachment:<part name>` naming an uploaded file part.
 */
export const imageRef = z
  .string()
  .min(1)
  .max(32 * 1024 * 1024);

/**
 * Body of `POST /v1/jobs`: `{ task, input, webhook_url?, user? }`, the input being the task's input of the one request
 * contract (`@kandinsky/protocol`, shared with the runners), images referenced as {@link imageRef}.
 */
export const jobCreateSchema = generationRequestSchema(imageRef, {
  webhook_url: z.string().max(2048).optional(),
  user: z.string().max(256).optional(),
});

/** Parsed body of `POST /v1/jobs`. */
export type JobCreateRequest = z.output<typeof jobCreateSchema>;
