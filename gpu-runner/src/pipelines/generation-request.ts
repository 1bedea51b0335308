import { randomInt } from 'node:crypto';
import { DECODER_SCHEDULERS, type DecoderSchedulerName } from '../schedulers/create-scheduler.js';
import { checkFuseWeights } from './fuse-stage.js';
import { img2imgSchedule } from './img2img-noising.js';
import { outputSize } from './latent-geometry.js';
import { PipelineParamError } from './pipeline-errors.js';

/** The tasks of the runner protocol (`docs/runner-protocol.md`). */
export const TASKS = ['text2image', 'variation', 'fuse', 'img2img', 'inpaint'] as const;
export type Task = (typeof TASKS)[number];

/** Output encodings the runner can be asked for. */
export const OUTPUT_FORMATS = ['png', 'jpeg', 'webp'] as const;
export type OutputFormatName = (typeof OUTPUT_FORMATS)[number];

/** One fusion input as the runner receives it (image bytes already read from the bucket). */
export type FuseInputParam =
  | { type: 'text'; text: string; weight: number }
  | { type: 'image'; image: Uint8Array; weight: number };

/** A generation request in the runner protocol's terms (snake_case as on the wire; images as bytes). */
export interface GenerationParams {
  task: Task;
  prompt?: string;
  negative_prompt?: string;
  n?: number;
  width?: number;
  height?: number;
  seed?: number;
  steps?: number;
  guidance_scale?: number;
  prior_steps?: number;
  prior_guidance_scale?: number;
  scheduler?: DecoderSchedulerName;
  strength?: number;
  image?: Uint8Array;
  mask?: Uint8Array;
  inputs?: FuseInputParam[];
  output_format?: OutputFormatName;
}

/** A validated request with every default filled in; `width`/`height` are the real output size (multiples of 64). */
export interface GenerationPlan {
  task: Task;
  prompt: string;
  negativePrompt?: string;
  n: number;
  width: number;
  height: number;
  seed: number;
  steps: number;
  guidanceScale: number;
  priorSteps: number;
  priorGuidanceScale: number;
  scheduler: DecoderSchedulerName;
  strength: number;
  image?: Uint8Array;
  mask?: Uint8Array;
  inputs: FuseInputParam[];
  outputFormat: OutputFormatName;
}

/** Limits beyond the protocol's own (the runner refuses rather than running out of memory). */
export const LIMITS = { maxImages: 4, maxSide: 2048, maxSteps: 1000, maxGuidance: 100 } as const;

/**
 * Checks a request and fills in the reference pipelines' defaults (decoder 100 steps, guidance 4; prior 25 steps,
 * guidance 4; strength 0.3; DDIM; 512×512; PNG). Throws {@link PipelineParamError} naming the parameter, before any
 * model runs. Sizes are rounded up to multiples of 64, as the reference does.
 */
export function planGeneration(p: GenerationParams): GenerationPlan {
  if (!TASKS.includes(p.task))
    throw new PipelineParamError('task', `must be one of ${TASKS.join(', ')}, got ${JSON.stringify(p.task)}`);
  const needsPrompt = p.task === 'text2image' || p.task === 'img2img' || p.task === 'inpaint';
  if (needsPrompt && (typeof p.prompt !== 'string' || p.prompt.trim() === '')) {
    throw new PipelineParamError('prompt', `is required for ${p.task}`);
  }
  if (p.prompt !== undefined && typeof p.prompt !== 'string')
    throw new PipelineParamError('prompt', 'must be a string');
  if (p.negative_prompt !== undefined && typeof p.negative_prompt !== 'string') {
    throw new PipelineParamError('negative_prompt', 'must be a string');
  }
  const n = integer('n', p.n ?? 1, 1, LIMITS.maxImages);
  const requested = {
    width: integer('width', p.width ?? 512, 1, LIMITS.maxSide),
    height: integer('height', p.height ?? 512, 1, LIMITS.maxSide),
  };
  const size = outputSize(requested.height, requested.width);
  const seed = p.seed === undefined ? randomInt(0, 2 ** 32) : integer('seed', p.seed, 0, 0xffffffff);
  const steps = integer('steps', p.steps ?? 100, 1, LIMITS.maxSteps);
  const priorSteps = integer('prior_steps', p.prior_steps ?? 25, 2, LIMITS.maxSteps);
  const guidanceScale = finite('guidance_scale', p.guidance_scale ?? 4, 0, LIMITS.maxGuidance);
  const priorGuidanceScale = finite('prior_guidance_scale', p.prior_guidance_scale ?? 4, 0, LIMITS.maxGuidance);
  const scheduler = p.scheduler ?? 'ddim';
  if (!DECODER_SCHEDULERS.includes(scheduler)) {
    throw new PipelineParamError(
      'scheduler',
      `must be one of ${DECODER_SCHEDULERS.join(', ')}, got ${JSON.stringify(scheduler)}`,
    );
  }
  const outputFormat = p.output_format ?? 'png';
  if (!OUTPUT_FORMATS.includes(outputFormat)) {
    throw new PipelineParamError(
      'output_format',
      `must be one of ${OUTPUT_FORMATS.join(', ')}, got ${JSON.stringify(outputFormat)}`,
    );
  }
  const strength = p.strength ?? 0.3;
  if (p.task === 'img2img') checkStrength(strength, steps);
  if (p.task === 'img2img' || p.task === 'inpaint' || p.task === 'variation') bytes('image', p.image);
  if (p.task === 'inpaint') bytes('mask', p.mask);
  const inputs = p.task === 'fuse' ? checkFuseInputs(p.inputs) : [];
  return {
    task: p.task,
    prompt: p.prompt ?? '',
    negativePrompt: p.negative_prompt,
    n,
    ...size,
    seed,
    steps,
    guidanceScale,
    priorSteps,
    priorGuidanceScale,
    scheduler,
    strength,
    image: p.image,
    mask: p.mask,
    inputs,
    outputFormat,
  };
}

function integer(param: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new PipelineParamError(param, `must be an integer in [${min}, ${max}], got ${JSON.stringify(v)}`);
  }
  return v;
}

function finite(param: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw new PipelineParamError(param, `must be a number in [${min}, ${max}], got ${JSON.stringify(v)}`);
  }
  return v;
}

function bytes(param: string, v: unknown): void {
  if (!(v instanceof Uint8Array) || v.length === 0) throw new PipelineParamError(param, 'is required (image bytes)');
}

/** Strength in (0, 1], leaving at least one denoising step and a valid noising timestep. */
function checkStrength(strength: unknown, steps: number): void {
  if (typeof strength !== 'number' || !(strength > 0 && strength <= 1)) {
    throw new PipelineParamError('strength', `must be in (0, 1], got ${JSON.stringify(strength)}`);
  }
  const plan = img2imgSchedule(steps, strength);
  if (plan.startIndex >= steps) {
    throw new PipelineParamError(
      'strength',
      `${strength} of ${steps} steps leaves no denoising step (needs steps · strength >= 1)`,
    );
  }
  if (plan.noiseTimestep < 0)
    throw new PipelineParamError('strength', `${strength} is below the smallest usable 0.002`);
}

function checkFuseInputs(inputs: unknown): FuseInputParam[] {
  if (!Array.isArray(inputs) || inputs.length === 0)
    throw new PipelineParamError('inputs', 'needs at least one text or image');
  inputs.forEach((item, i) => {
    if (item?.type === 'text') {
      if (typeof item.text !== 'string') throw new PipelineParamError(`inputs[${i}].text`, 'must be a string');
    } else if (item?.type === 'image') {
      bytes(`inputs[${i}].image`, item.image);
    } else {
      throw new PipelineParamError(`inputs[${i}].type`, 'must be "text" or "image"');
    }
  });
  checkFuseWeights(inputs.map((item) => item.weight));
  return inputs as FuseInputParam[];
}
