import { z } from 'zod';
import { promptField, samplingFields } from './generation';

/**
 * An input image: base64 (optionally as a `data:image/…;base64,` URL) or, in multipart requests,
 * `attachment:<part name>` naming an uploaded file part.
 */
export const imageRef = z
  .string()
  .min(1)
  .max(32 * 1024 * 1024);

const weight = z.number().positive().max(100);

const text2image = z.strictObject({ prompt: promptField, ...samplingFields });
const variation = z.strictObject({ prompt: promptField.optional(), image: imageRef, ...samplingFields });
const img2img = z.strictObject({
  prompt: promptField,
  image: imageRef,
  strength: z.number().gt(0).max(1).default(0.3),
  ...samplingFields,
});
const inpaint = z.strictObject({ prompt: promptField, image: imageRef, mask: imageRef, ...samplingFields });
const fuse = z.strictObject({
  inputs: z
    .array(
      z.discriminatedUnion('type', [
        z.strictObject({ type: z.literal('text'), text: promptField, weight }),
        z.strictObject({ type: z.literal('image'), image: imageRef, weight }),
      ]),
    )
    .min(2)
    .max(8),
  ...samplingFields,
});

const common = {
  webhook_url: z.string().max(2048).optional(),
  user: z.string().max(256).optional(),
};

/** Body of `POST /v1/jobs`: `{ task, input, webhook_url?, user? }`, the input shape depending on the task. */
export const jobCreateSchema = z.discriminatedUnion('task', [
  z.strictObject({ task: z.literal('text2image'), input: text2image, ...common }),
  z.strictObject({ task: z.literal('variation'), input: variation, ...common }),
  z.strictObject({ task: z.literal('fuse'), input: fuse, ...common }),
  z.strictObject({ task: z.literal('img2img'), input: img2img, ...common }),
  z.strictObject({ task: z.literal('inpaint'), input: inpaint, ...common }),
]);

/** Parsed body of `POST /v1/jobs`. */
export type JobCreateRequest = z.infer<typeof jobCreateSchema>;
