import { z } from 'zod';
import {
  checkImg2img,
  type GenerationRequest,
  negativePromptSchema,
  resolveSize,
  seedSchema,
  strengthSchema,
  taskFields,
} from './generation-request.js';
import { img2imgProblem } from './img2img-schedule.js';
import { GENERATION_LIMITS as L, OUTPUT_FORMATS, SCHEDULERS, type Task } from './limits.js';
import { checkPreviewSteps, denoisingSteps, previewSteps, previewStepsSchema } from './previews.js';

/**
 * A request as a runner receives it (`RunnerJob.params`): the client's input resolved by
 * {@link resolveGenerationRequest}, every default filled in, `size` turned into `width`/`height` (multiples of 64),
 * the seed chosen. Runners re-check leased jobs with {@link taskParamsSchemas}: the same ranges and cross-field rules
 * as the edge, so a job the edge accepted is one a runner can do.
 */

/** A rendered side: a multiple of 64 within the limits. */
const renderedSide = z.number().int().min(L.minSide).max(L.maxSide).multipleOf(L.sideStep);
const guidance = z.number().min(L.minGuidance).max(L.maxGuidance);

/** The resolved sampling fields every task shares. */
export const resolvedSamplingFields = {
  negative_prompt: negativePromptSchema.optional(),
  n: z.number().int().min(1).max(L.maxImages),
  width: renderedSide,
  height: renderedSide,
  seed: seedSchema,
  steps: z.number().int().min(L.minSteps).max(L.maxSteps),
  guidance_scale: guidance,
  prior_steps: z.number().int().min(L.minPriorSteps).max(L.maxPriorSteps),
  prior_guidance_scale: guidance,
  scheduler: z.enum(SCHEDULERS),
  output_format: z.enum(OUTPUT_FORMATS),
  /** Decoder steps after which a preview is decoded and stored (see `previews.ts`); absent: no previews. */
  preview_steps: previewStepsSchema,
};

/**
 * Every task's resolved parameters for a given image reference (a bucket key on the wire, bytes once a runner has
 * read them). Unknown fields are refused: a parameter a runner does not know is one it cannot honour.
 */
export function taskParamsSchemas<I extends z.ZodType>(image: I) {
  const previews = (task: Task) => (value: { preview_steps?: number[]; steps: number }, ctx: z.RefinementCtx) =>
    checkPreviewSteps(value, task, ctx);
  const own = taskFields(image);
  const shared = resolvedSamplingFields;
  return {
    text2image: z.strictObject({ ...own.text2image, ...shared }).superRefine(previews('text2image')),
    variation: z.strictObject({ ...own.variation, ...shared }).superRefine(previews('variation')),
    fuse: z.strictObject({ ...own.fuse, ...shared }).superRefine(previews('fuse')),
    // A runner needs the strength the edge resolved: no default on this side.
    img2img: z.strictObject({ ...own.img2img, strength: strengthSchema, ...shared }).superRefine((value, ctx) => {
      checkImg2img(value, ctx);
      if (!img2imgProblem(value.steps, value.strength)) checkPreviewSteps(value, 'img2img', ctx);
    }),
    // Jobs queued by an edge that predates `mask_source` are luma masks: the field's default covers them.
    inpaint: z.strictObject({ ...own.inpaint, ...shared }).superRefine(previews('inpaint')),
  } satisfies Record<Task, z.ZodType>;
}

/** The schemas of {@link taskParamsSchemas} for image reference type `I`. */
export type TaskParamsSchemas<I> = ReturnType<typeof taskParamsSchemas<z.ZodType<I>>>;
/** One task's resolved parameters, images referenced as `I`. */
export type TaskParams<T extends Task, I> = z.output<TaskParamsSchemas<I>[T]>;
/** A resolved request, tagged by task. */
export type ResolvedGeneration<I> = { [T in Task]: { task: T; params: TaskParams<T, I> } }[Task];
/** The parameters of any task (what the task-independent code reads: size, seed, n, steps, ...). */
export type AnyTaskParams<I> = ResolvedGeneration<I>['params'];

/**
 * Turns a validated client request into the parameters a runner receives: `size` (or `width`/`height`, default
 * 512x512) rounded up to multiples of 64, the seed from `randomSeed()` when the client gave none, and the preview
 * fields (`preview_every`, `partial_images`) turned into the decoder steps to preview (`preview_steps`, absent when
 * there are none).
 * @throws Error only for a request that did not pass the request schema (a caller bug, not a client error).
 */
export function resolveGenerationRequest<I>(
  request: GenerationRequest<I>,
  randomSeed: () => number,
): ResolvedGeneration<I> {
  const {
    size,
    width,
    height,
    seed,
    preview_every: every,
    partial_images: count,
    ...rest
  } = request.input as typeof request.input & {
    size?: string;
    width?: number;
    height?: number;
    seed?: number;
    preview_every?: number;
    partial_images?: number;
  };
  const rendered = resolveSize({ size, width, height });
  if ('problem' in rendered) throw new Error(`resolveGenerationRequest: unvalidated size (${rendered.problem})`);
  const params: Record<string, unknown> = {
    ...rest,
    width: rendered.width,
    height: rendered.height,
    seed: seed ?? randomSeed(),
  };
  if (params.negative_prompt === undefined) delete params.negative_prompt;
  const strength = 'strength' in rest ? (rest.strength as number) : undefined;
  const steps = previewSteps(denoisingSteps(request.task, rest.steps, strength), { every, count });
  if (steps.length > 0) params.preview_steps = steps;
  return { task: request.task, params } as ResolvedGeneration<I>;
}

/**
 * Replaces every image reference of a resolved request (`image`, `mask`, fuse `inputs.<i>.image`), in that order,
 * with `convert(ref, param)`: e.g. the edge stores uploads and puts their bucket keys in, a runner reads the keys'
 * bytes. `param` names the field as the request did.
 */
export async function mapRequestImages<I, J>(
  request: ResolvedGeneration<I>,
  convert: (ref: I, param: string) => J | Promise<J>,
): Promise<ResolvedGeneration<J>> {
  const params = { ...request.params } as Record<string, unknown>;
  if ('image' in request.params && request.params.image !== undefined) {
    params.image = await convert(request.params.image, 'image');
  }
  if ('mask' in request.params) params.mask = await convert(request.params.mask, 'mask');
  if ('inputs' in request.params) {
    const inputs = [];
    for (const [index, item] of request.params.inputs.entries()) {
      inputs.push(
        item.type === 'image' ? { ...item, image: await convert(item.image, `inputs.${index}.image`) } : item,
      );
    }
    params.inputs = inputs;
  }
  return { task: request.task, params } as ResolvedGeneration<J>;
}
