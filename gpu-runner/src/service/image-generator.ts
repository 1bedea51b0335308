import type { JobParams, Progress, Task } from './protocol.js';

/** An 8-bit RGB image, rows top to bottom, 3 bytes per pixel. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** A fuse input with its image already read from the bucket. */
export type ResolvedFuseInput =
  | { type: 'text'; text: string; weight: number }
  | { type: 'image'; image: RgbImage; weight: number };

/** A job's parameters with input images decoded (the bucket keys replaced by pixels). */
export type GenerationParams = Omit<JobParams, 'image' | 'mask' | 'inputs'> & {
  image?: RgbImage;
  mask?: RgbImage;
  inputs?: ResolvedFuseInput[];
};

/** One job as the generator sees it. */
export interface GenerationRequest {
  jobId: string;
  task: Task;
  params: GenerationParams;
}

export interface GenerateOptions {
  /** Called as the pipeline advances (prior steps, decoder steps, ...); the runner throttles what it reports. */
  onProgress?: (progress: Progress) => void;
  /** Aborted when every job of the batch was cancelled or lost, or on shutdown; the generator stops between steps. */
  signal?: AbortSignal;
}

/**
 * What the runner service needs from the model: turn a batch of equal-shaped requests into images. `generate`
 * returns, for each request in order, its `params.n` images (image i made with seed `params.seed + i`).
 */
export interface ImageGenerator {
  /** One line for logs and `/metrics`, e.g. "kandinsky-2.1 (random weights, tiny config)". */
  readonly description: string;
  generate(batch: GenerationRequest[], opts?: GenerateOptions): Promise<RgbImage[][]>;
  /** Runs one small generation so kernels are compiled before the first real job. */
  warmup(): Promise<void>;
  dispose(): void;
}

/** The generator refused a request it cannot serve (bad input, unsupported option): retrying will not help. */
export class InvalidRequestError extends Error {
  override readonly name = 'InvalidRequestError';
  constructor(
    message: string,
    readonly code = 'invalid_request',
  ) {
    super(message);
  }
}

/** Thrown by a generator whose signal was aborted. */
export class GenerationAbortedError extends Error {
  override readonly name = 'GenerationAbortedError';
}

/**
 * Jobs can share one pass when everything that shapes the computation is equal: task, size, schedule and guidance.
 * Prompts, seeds, `n` and input images may differ.
 */
export function batchKey(task: Task, p: JobParams): string {
  return [
    task,
    p.width,
    p.height,
    p.steps,
    p.prior_steps,
    p.scheduler,
    p.guidance_scale,
    p.prior_guidance_scale,
    p.strength ?? '',
    Boolean(p.negative_prompt),
  ].join('|');
}
