import type { JobParams, Progress, Task } from './protocol.js';

/** One generated image, already encoded in the job's `output_format`. */
export interface GeneratedImage {
  bytes: Uint8Array;
  width: number;
  height: number;
  contentType: string;
}

/** A fuse input with its image read from the bucket (encoded bytes; the generator decodes them). */
export type ResolvedFuseInput =
  | { type: 'text'; text: string; weight: number }
  | { type: 'image'; image: Uint8Array; weight: number };

/** A job's parameters with input images read from the bucket (the keys replaced by the objects' bytes). */
export type GenerationParams = Omit<JobParams, 'image' | 'mask' | 'inputs'> & {
  image?: Uint8Array;
  mask?: Uint8Array;
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
  generate(batch: GenerationRequest[], opts?: GenerateOptions): Promise<GeneratedImage[][]>;
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
