import { z } from 'zod';
import { img2imgSchedule } from './img2img-schedule.js';
import { GENERATION_LIMITS as L, type OutputFormat, type Task } from './limits.js';

/**
 * Live previews: during the decoder's denoising loop a runner decodes the step's predicted clean latent (the
 * scheduler's `pred_original_sample`) through MoVQ and stores it as an image, so a client watches the picture form. A
 * client asks for them with `preview_every: k` (a preview after every k-th step) or `partial_images: p` (OpenAI's
 * spelling: p previews spread evenly over the steps); the edge resolves either into the explicit decoder steps of
 * `preview_steps` that runners receive. Steps count the denoising steps a job actually runs (img2img runs
 * `int(steps × strength)` of them), 1-based, as progress reports count them; the last step gives the final image, so
 * it never has a preview.
 */

/** The client's preview fields, shared by every task of the native API. */
export const previewFields = {
  preview_every: z
    .number()
    .int()
    .min(1)
    .max(L.maxSteps)
    .optional()
    .describe(`a preview image after every k-th denoising step (at most ${L.maxPreviews} per job)`),
  partial_images: z
    .number()
    .int()
    .min(0)
    .max(L.maxPartialImages)
    .optional()
    .describe(`0..${L.maxPartialImages} preview images spread evenly over the denoising steps (OpenAI's spelling)`),
};

/** How many denoising steps a request runs: `steps`, or for img2img the `int(steps × strength)` it re-runs. */
export function denoisingSteps(task: Task, steps: number, strength?: number): number {
  return task === 'img2img' && strength !== undefined ? img2imgSchedule(steps, strength).stepsRun : steps;
}

/**
 * The decoder steps that get a preview, ascending, all below `stepsRun` (the last step is the final image):
 * `every: k` gives k, 2k, ...; `count: p` gives `round(i × stepsRun / (p + 1))` for i = 1..p, without repeats (fewer
 * than p when there are too few steps, as OpenAI sends fewer partial images when the image is done sooner).
 * @example previewSteps(10, { every: 4 }) // [4, 8]
 * @example previewSteps(3, { count: 2 }) // [1, 2]
 */
export function previewSteps(stepsRun: number, rule: { every?: number; count?: number }): number[] {
  for (const value of [rule.every, rule.count]) {
    if (value !== undefined && !(Number.isInteger(value) && value >= 0))
      throw new RangeError(`bad preview rule ${value}`);
  }
  if (rule.every === 0) throw new RangeError('preview_every must be at least 1');
  const steps = new Set<number>();
  if (rule.every !== undefined) {
    for (let step = rule.every; step < stepsRun; step += rule.every) steps.add(step);
  }
  if (rule.count !== undefined) {
    for (let i = 1; i <= rule.count; i++) {
      const step = Math.round((i * stepsRun) / (rule.count + 1));
      if (step >= 1 && step < stepsRun) steps.add(step);
    }
  }
  return [...steps].sort((a, b) => a - b);
}

/** The preview fields as a zod refinement: not both, and no more than {@link GENERATION_LIMITS.maxPreviews} previews. */
export function checkPreviewRequest(
  value: { preview_every?: number; partial_images?: number; steps: number; strength?: number },
  task: Task,
  ctx: z.RefinementCtx,
): void {
  if (value.preview_every !== undefined && value.partial_images !== undefined) {
    ctx.addIssue({
      code: 'custom',
      message: 'give either preview_every or partial_images, not both',
      path: ['preview_every'],
    });
    return;
  }
  // Refinements also see values whose own fields failed (zod reports every issue): check only well-formed ones.
  const usable = (n: unknown) => Number.isInteger(n) && (n as number) >= 1;
  if (!usable(value.preview_every) || !usable(value.steps)) return;
  const stepsRun = denoisingSteps(task, value.steps, value.strength);
  const count = previewSteps(stepsRun, { every: value.preview_every }).length;
  if (count > L.maxPreviews) {
    ctx.addIssue({
      code: 'custom',
      message: `preview_every ${value.preview_every} of ${stepsRun} denoising steps makes ${count} previews; at most ${L.maxPreviews} (use preview_every >= ${Math.ceil(stepsRun / (L.maxPreviews + 1))})`,
      path: ['preview_every'],
    });
  }
}

/** The resolved field a runner receives: the decoder steps to preview (absent: none). */
export const previewStepsSchema = z
  .array(
    z
      .number()
      .int()
      .min(1)
      .max(L.maxSteps - 1),
  )
  .min(1)
  .max(L.maxPreviews)
  .optional();

/** The wire rule for `preview_steps`: strictly ascending, every step below the denoising steps the job runs. */
export function checkPreviewSteps(
  value: { preview_steps?: number[]; steps: number; strength?: number },
  task: Task,
  ctx: z.RefinementCtx,
): void {
  const steps = value.preview_steps;
  if (!Array.isArray(steps) || !Number.isInteger(value.steps)) return;
  const stepsRun = denoisingSteps(task, value.steps, value.strength);
  for (const [i, step] of steps.entries()) {
    if (i > 0 && step <= steps[i - 1]) {
      ctx.addIssue({ code: 'custom', message: 'must be strictly ascending', path: ['preview_steps', i] });
      return;
    }
    if (step >= stepsRun) {
      ctx.addIssue({
        code: 'custom',
        message: `step ${step} is not below the ${stepsRun} denoising steps the job runs`,
        path: ['preview_steps', i],
      });
      return;
    }
  }
}

const EXTENSIONS: Record<OutputFormat, string> = { png: 'png', jpeg: 'jpg', webp: 'webp' };

/**
 * Where a runner stores image `index`'s preview after decoder step `step`: `<prefix>previews/<step>-<index>.<ext>`,
 * under the job's output prefix, in the job's output format. The edge derives the same keys from the steps a runner
 * reports.
 * @example previewKey('results/t/job_1/', 4, 0, 'png') // 'results/t/job_1/previews/4-0.png'
 */
export function previewKey(prefix: string, step: number, index: number, format: OutputFormat): string {
  return `${prefix}previews/${step}-${index}.${EXTENSIONS[format]}`;
}
