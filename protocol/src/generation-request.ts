import { z } from 'zod';
import { img2imgProblem } from './img2img-schedule.js';
import {
  GENERATION_DEFAULTS as D,
  GENERATION_LIMITS as L,
  MASK_SOURCES,
  OUTPUT_FORMATS,
  SCHEDULERS,
  TASKS,
  type Task,
} from './limits.js';
import { checkPreviewRequest, previewFields } from './previews.js';

/**
 * The one request contract, as a client sends it: every task's fields with their types, ranges, defaults and
 * cross-field rules. The edge validates `POST /v1/jobs` and `/v1/images/*` with these schemas, generates the OpenAPI
 * document from them, and resolves an accepted request into {@link GenerationParams} (`generation-params.ts`), which
 * runners re-check with the same rules. How images are referenced differs by side (base64 or an upload at the edge,
 * a bucket key on the wire, bytes in the runner), so the schemas are built for a given image-reference schema.
 */

/** A prompt: at most {@link GENERATION_LIMITS.maxPromptChars} characters, not empty or only whitespace. */
export const promptSchema = z
  .string()
  .max(L.maxPromptChars)
  .refine((text) => text.trim().length > 0, 'must not be empty or only whitespace');

/**
 * A negative prompt. `""` is a real (empty) negative prompt, as in diffusers: the prior also samples an embedding
 * for it. Leaving the field out uses the zero-image embedding instead.
 */
export const negativePromptSchema = z.string().max(L.maxPromptChars);

/** A uint32 seed. */
export const seedSchema = z.number().int().min(0).max(L.maxSeed);

const side = z.number().int().min(L.minSide).max(L.maxSide);
const guidance = z.number().min(L.minGuidance).max(L.maxGuidance);

/** The sampling fields every task shares, with the diffusers pipelines' defaults. */
export const samplingFields = {
  negative_prompt: negativePromptSchema.optional(),
  n: z.number().int().min(1).max(L.maxImages).default(D.n),
  size: z
    .string()
    .regex(/^\d{1,5}x\d{1,5}$/, 'must look like "512x512"')
    .optional()
    .describe(`"WxH"; each side ${L.minSide}..${L.maxSide}, rounded up to a multiple of ${L.sideStep}`),
  width: side.optional().describe(`pixels, rounded up to a multiple of ${L.sideStep}`),
  height: side.optional().describe(`pixels, rounded up to a multiple of ${L.sideStep}`),
  seed: seedSchema.optional().describe('uint32; image i uses (seed + i) mod 2^32; random when absent'),
  steps: z.number().int().min(L.minSteps).max(L.maxSteps).default(D.steps),
  guidance_scale: guidance.default(D.guidance_scale),
  prior_steps: z.number().int().min(L.minPriorSteps).max(L.maxPriorSteps).default(D.prior_steps),
  prior_guidance_scale: guidance.default(D.prior_guidance_scale),
  scheduler: z.enum(SCHEDULERS).default(D.scheduler),
  output_format: z.enum(OUTPUT_FORMATS).default(D.output_format),
};

/** Sizes as requested: `size: "WxH"` (OpenAI style) or `width`/`height`. */
export interface SizeFields {
  size?: string;
  width?: number;
  height?: number;
}

/** Rounds a side up to the next multiple of 64, as the Kandinsky reference pipelines do. */
export function roundUpToSideStep(value: number): number {
  return Math.ceil(value / L.sideStep) * L.sideStep;
}

/**
 * The rendered size of a request (each side rounded up to a multiple of 64), or what is wrong with it and which field
 * to blame: `size` together with `width`/`height`, or a side outside [64, 1024].
 */
export function resolveSize(
  fields: SizeFields,
): { width: number; height: number } | { problem: string; param: 'size' | 'width' | 'height' } {
  if (fields.size !== undefined && (fields.width !== undefined || fields.height !== undefined)) {
    return { problem: 'give either size or width/height, not both', param: 'size' };
  }
  let width: number = fields.width ?? D.width;
  let height: number = fields.height ?? D.height;
  if (fields.size !== undefined) [width, height] = fields.size.split('x').map(Number);
  for (const [name, value] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!(value >= L.minSide && value <= L.maxSide)) {
      return {
        problem: `${name} must be between ${L.minSide} and ${L.maxSide} pixels (got ${value})`,
        param: fields.size !== undefined ? 'size' : name,
      };
    }
  }
  return { width: roundUpToSideStep(width), height: roundUpToSideStep(height) };
}

/** The size rule as a zod refinement, for any object schema that carries {@link samplingFields}. */
export function checkSize(value: SizeFields, ctx: z.RefinementCtx): void {
  const size = resolveSize(value);
  if ('problem' in size) ctx.addIssue({ code: 'custom', message: size.problem, path: [size.param] });
}

/** The img2img rule (`steps x strength` leaves a denoising step) as a zod refinement, blaming `strength`. */
export function checkImg2img(value: { steps: number; strength: number }, ctx: z.RefinementCtx): void {
  const problem = img2imgProblem(value.steps, value.strength);
  if (problem) ctx.addIssue({ code: 'custom', message: problem, path: ['strength'] });
}

/** The weight of a fuse input. */
export const fuseWeightSchema = z.number().positive().max(L.maxFuseWeight);

/** img2img strength: how much of the schedule is re-run, in (0, 1]. */
export const strengthSchema = z.number().gt(0).max(1);

/** A fuse request's 2..8 weighted inputs: texts and images (referenced as `image`). */
export function fuseInputsSchema<I extends z.ZodType>(image: I) {
  return z
    .array(
      z.discriminatedUnion('type', [
        z.strictObject({ type: z.literal('text'), text: promptSchema, weight: fuseWeightSchema }),
        z.strictObject({ type: z.literal('image'), image, weight: fuseWeightSchema }),
      ]),
    )
    .min(L.minFuseInputs)
    .max(L.maxFuseInputs);
}

/** How an inpainting mask marks the area to repaint (see {@link MASK_SOURCES}). */
export const maskSourceSchema = z
  .enum(MASK_SOURCES)
  .describe("'luma': white repaints (the pipeline's convention); 'alpha': fully transparent pixels repaint (OpenAI's)");

/**
 * What tells the five tasks apart: each task's own fields, images referenced as `image`. Client input and the
 * runner's parameters both build on these (with their sampling fields and rules); img2img's `strength` has its default
 * here, and the runner's side requires it.
 */
export function taskFields<I extends z.ZodType>(image: I) {
  return {
    text2image: { prompt: promptSchema },
    variation: { prompt: promptSchema.optional(), image },
    fuse: { inputs: fuseInputsSchema(image) },
    img2img: { prompt: promptSchema, image, strength: strengthSchema.default(D.strength) },
    inpaint: { prompt: promptSchema, image, mask: image, mask_source: maskSourceSchema.default(D.mask_source) },
  };
}

/** The rules every task's input shares: the size, and the preview fields against the steps the task runs. */
function checkTaskInput(task: Task) {
  return (value: SizeFields & { steps: number; strength?: number }, ctx: z.RefinementCtx) => {
    checkSize(value, ctx);
    checkPreviewRequest(value, task, ctx);
  };
}

/**
 * Every task's input schema for a given image reference: `text2image` (prompt), `variation` (image, optional
 * prompt), `fuse` (2..8 weighted texts and images), `img2img` (prompt, image, strength) and `inpaint` (prompt, image,
 * mask, `mask_source`), each with {@link samplingFields} and the preview fields (`preview_every`, `partial_images`).
 * Unknown fields are refused.
 * @example taskInputSchemas(z.string()).img2img.parse({ prompt: 'a cat', image: 'attachment:photo' })
 */
export function taskInputSchemas<I extends z.ZodType>(image: I) {
  const shared = { ...samplingFields, ...previewFields };
  const own = taskFields(image);
  return {
    text2image: z.strictObject({ ...own.text2image, ...shared }).superRefine(checkTaskInput('text2image')),
    variation: z.strictObject({ ...own.variation, ...shared }).superRefine(checkTaskInput('variation')),
    fuse: z.strictObject({ ...own.fuse, ...shared }).superRefine(checkTaskInput('fuse')),
    img2img: z.strictObject({ ...own.img2img, ...shared }).superRefine((value, ctx) => {
      checkSize(value, ctx);
      checkImg2img(value, ctx);
      // The preview count depends on the steps img2img runs: only meaningful once strength is usable.
      if (!img2imgProblem(value.steps, value.strength)) checkPreviewRequest(value, 'img2img', ctx);
    }),
    inpaint: z.strictObject({ ...own.inpaint, ...shared }).superRefine(checkTaskInput('inpaint')),
  } satisfies Record<Task, z.ZodType>;
}

/** The input schemas of {@link taskInputSchemas} for image reference type `I`. */
export type TaskInputSchemas<I> = ReturnType<typeof taskInputSchemas<z.ZodType<I>>>;
/** A task's parsed input (defaults filled) with images referenced as `I`. */
export type TaskInput<T extends Task, I> = z.output<TaskInputSchemas<I>[T]>;
/** A parsed request: the task and its input. */
export type GenerationRequest<I> = { [T in Task]: { task: T; input: TaskInput<T, I> } }[Task];

/**
 * Parses one task's input with `schemas` (from {@link taskInputSchemas}) into a tagged {@link GenerationRequest}.
 * @example safeParseTaskInput(taskInputSchemas(bytes), 'img2img', { prompt: 'a cat', image })
 */
export function safeParseTaskInput<I>(
  schemas: TaskInputSchemas<I>,
  task: Task,
  input: unknown,
): { success: true; request: GenerationRequest<I> } | { success: false; error: z.ZodError } {
  const result = (schemas[task] as z.ZodType).safeParse(input, { reportInput: true });
  return result.success
    ? { success: true, request: { task, input: result.data } as GenerationRequest<I> }
    : { success: false, error: result.error };
}

/**
 * `{ task, input }` for every task, as one discriminated union, plus `extra` top-level fields (e.g. the edge's
 * `webhook_url`, `user`).
 */
export function generationRequestSchema<I extends z.ZodType, E extends z.core.$ZodLooseShape>(image: I, extra: E) {
  const inputs = taskInputSchemas(image);
  return z.discriminatedUnion(
    'task',
    TASKS.map((task) => z.strictObject({ task: z.literal(task), input: inputs[task], ...extra })) as unknown as [
      z.ZodObject<{ task: z.ZodLiteral<'text2image'>; input: (typeof inputs)['text2image'] } & E, z.core.$strict>,
      z.ZodObject<{ task: z.ZodLiteral<'variation'>; input: (typeof inputs)['variation'] } & E, z.core.$strict>,
      z.ZodObject<{ task: z.ZodLiteral<'fuse'>; input: (typeof inputs)['fuse'] } & E, z.core.$strict>,
      z.ZodObject<{ task: z.ZodLiteral<'img2img'>; input: (typeof inputs)['img2img'] } & E, z.core.$strict>,
      z.ZodObject<{ task: z.ZodLiteral<'inpaint'>; input: (typeof inputs)['inpaint'] } & E, z.core.$strict>,
    ],
  );
}

/**
 * Why a mask cannot go with its image, or null: the reference resizes both to the output size independently, so a
 * mask of another size would repaint a stretched region; the contract asks for equal sizes.
 */
export function maskSizeProblem(
  image: { width: number; height: number },
  mask: { width: number; height: number },
): string | null {
  return image.width === mask.width && image.height === mask.height
    ? null
    : `the mask is ${mask.width}x${mask.height} but the image is ${image.width}x${image.height}; they must be equal`;
}
