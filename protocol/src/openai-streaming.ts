import { z } from 'zod';
import { previewFields } from './previews.js';

/**
 * OpenAI's streaming fields of `/v1/images/generations` and `/v1/images/edits`: `stream: true` answers with Server-Sent
 * Events (`image_generation.partial_image` ... `image_generation.completed`, or the `image_edit.*` pair), and
 * `partial_images` (0..3) asks for that many partial images first. Partial images are this API's previews
 * (`previews.ts`): the route passes `partial_images` on to the job, which resolves it into preview steps.
 */
export const streamingFields = {
  stream: z.boolean().default(false).describe('answer with Server-Sent Events (OpenAI streaming image events)'),
  partial_images: previewFields.partial_images,
};

/** `partial_images` only means something in a stream: refused without `stream: true`, naming it. */
export function checkStreaming(value: { stream: boolean; partial_images?: number }, ctx: z.RefinementCtx): void {
  if (value.partial_images !== undefined && !value.stream) {
    ctx.addIssue({ code: 'custom', message: 'partial_images needs stream: true', path: ['partial_images'] });
  }
}
