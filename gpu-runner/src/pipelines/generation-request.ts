import { randomInt } from 'node:crypto';
import {
  type MaskSource,
  type OutputFormat,
  type ResolvedGeneration,
  resolveGenerationRequest,
  type SchedulerName,
  safeParseTaskInput,
  TASKS,
  type Task,
  taskInputSchemas,
} from '@kandinsky/protocol';
import { z } from 'zod';
import { PipelineParamError } from './pipeline-errors.js';

export type { OutputFormat, SchedulerName, Task } from '@kandinsky/protocol';
export { TASKS } from '@kandinsky/protocol';

/** One fusion input as the library takes it (an image as its encoded file bytes). */
export type FuseInputParam =
  | { type: 'text'; text: string; weight: number }
  | { type: 'image'; image: Uint8Array; weight: number };

/**
 * A generation request as the library takes it: the public API's fields (snake_case, defaults optional) with images
 * as encoded file bytes. Checked at run time against the one request contract (`@kandinsky/protocol`), so the CLI and
 * the service accept exactly what the public API accepts.
 */
export interface GenerationParams {
  task: Task;
  prompt?: string;
  negative_prompt?: string;
  n?: number;
  size?: string;
  width?: number;
  height?: number;
  seed?: number;
  steps?: number;
  guidance_scale?: number;
  prior_steps?: number;
  prior_guidance_scale?: number;
  scheduler?: SchedulerName;
  strength?: number;
  image?: Uint8Array;
  mask?: Uint8Array;
  /** How the mask marks the area to repaint: `luma` (white; the default) or `alpha` (fully transparent pixels). */
  mask_source?: MaskSource;
  inputs?: FuseInputParam[];
  output_format?: OutputFormat;
  /** A preview after every k-th denoising step (handed to `GenerateOptions.onPreview`). */
  preview_every?: number;
  /** That many previews spread evenly over the denoising steps. */
  partial_images?: number;
}

/** A request resolved by the contract (defaults filled, sizes multiples of 64, seed chosen), images as file bytes. */
export type GenerationRequest = ResolvedGeneration<Uint8Array>;

/** An encoded image file, as the library's requests carry input images. */
export const imageBytesSchema = z.instanceof(Uint8Array).refine((bytes) => bytes.length > 0, 'is empty');

const inputSchemas = taskInputSchemas(imageBytesSchema);

/**
 * Checks a library request against the contract and resolves it: the reference pipelines' defaults (decoder 100
 * steps, guidance 4; prior 25 steps, guidance 4; strength 0.3; DDIM; 512x512; PNG), sizes rounded up to multiples
 * of 64, a random uint32 seed when none is given. Throws {@link PipelineParamError} naming the parameter, before any
 * model runs.
 */
export function planGeneration(p: GenerationParams): GenerationRequest {
  const { task, ...fields } = p;
  if (!TASKS.includes(task)) {
    throw new PipelineParamError('task', `must be one of ${TASKS.join(', ')}, got ${JSON.stringify(task)}`);
  }
  // Fields set to undefined are absent, not unknown.
  const input = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
  const parsed = safeParseTaskInput(inputSchemas, task, input);
  if (!parsed.success) {
    const [issue] = parsed.error.issues;
    const path = issue.path.map(String).join('.');
    const param = issue.code === 'unrecognized_keys' ? [path, issue.keys[0]].filter(Boolean).join('.') : path;
    throw new PipelineParamError(param || task, issue.message);
  }
  return resolveGenerationRequest(parsed.request, () => randomInt(0, 2 ** 32));
}
