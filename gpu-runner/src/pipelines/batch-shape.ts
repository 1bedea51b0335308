import type { ResolvedGeneration } from '@kandinsky/protocol';

/**
 * What shapes a batched run's computation. text2image requests with equal shapes can share one pass (the prior and
 * the U-Net run once per step for all their images); prompts, negative prompt texts, seeds, `n` and output formats
 * may differ. A negative prompt given (even "") adds prior rows, so its presence is part of the shape, and the
 * preview steps are too (every image of a pass is decoded at the same steps).
 */
export interface BatchShape {
  width: number;
  height: number;
  steps: number;
  guidance_scale: number;
  prior_steps: number;
  prior_guidance_scale: number;
  scheduler: string;
  negative_prompt_given: boolean;
  /** The preview steps, comma-separated ("" for none). */
  preview_steps: string;
}

/** The {@link BatchShape} of a request, or null when its task runs alone (only text2image batches). */
export function batchShape(request: ResolvedGeneration<unknown>): BatchShape | null {
  if (request.task !== 'text2image') return null;
  const p = request.params;
  return {
    width: p.width,
    height: p.height,
    steps: p.steps,
    guidance_scale: p.guidance_scale,
    prior_steps: p.prior_steps,
    prior_guidance_scale: p.prior_guidance_scale,
    scheduler: p.scheduler,
    negative_prompt_given: p.negative_prompt !== undefined,
    preview_steps: (p.preview_steps ?? []).join(','),
  };
}

/**
 * The one batching rule, as a key: requests with equal non-null keys run as one pass; the runner groups leased jobs
 * by it and the pipelines refuse a batch that breaks it ({@link batchShape}, field by field).
 */
export function batchKey(request: ResolvedGeneration<unknown>): string | null {
  const shape = batchShape(request);
  return shape && JSON.stringify(shape);
}
