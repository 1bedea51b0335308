import type { Task } from '@kandinsky/protocol';
import type { GeneratedImage, GenerateOptions } from '../pipelines/generated-images.js';
import type { GenerationRequest } from '../pipelines/generation-request.js';

/** What a run can be given: progress, previews and cancellation. */
export type GeneratorControl = Pick<GenerateOptions, 'signal' | 'onProgress' | 'onPreview'>;

/** What a run made. */
export interface GeneratedBatch {
  /** For each job in order, its `n` images. */
  images: GeneratedImage[][];
  /**
   * Wall time of the run per stage, in milliseconds: `encode`, `prior`, `decoder`, `movq`, `preview` (when there were
   * previews) and `total`. A batch's jobs share them.
   */
  timingsMs: Record<string, number>;
}

/** A request the generator checked and made ready (inputs decoded); opaque to the worker apart from its batch key. */
export interface PreparedJob {
  /** Prepared jobs with equal non-null keys can run as one pass; null runs alone. */
  readonly batchKey: string | null;
}

/**
 * What the runner service needs from the model. `prepare` checks one job's request and decodes its inputs before the
 * job joins a batch, throwing for what the request itself got wrong (see `job-failure.ts`): found there, such a fault
 * fails that job only, where found during `generate` it would fail the whole batch's pass. `generate` turns prepared
 * jobs of one batch key into images: for each job in order, its `n` images, image i made with seed
 * `imageSeed(seed, i)` and reporting it.
 */
export interface ImageGenerator<P extends PreparedJob = PreparedJob> {
  /** One line for logs and `/metrics`, e.g. "kandinsky-2.1 (random weights, tiny config)". */
  readonly description: string;
  /** The tasks this model can serve (inpainting needs the inpainting U-Net); the runner leases only these. */
  readonly tasks: readonly Task[];
  prepare(request: GenerationRequest): Promise<P>;
  /**
   * Progress is reported per step and previews as they are made (jobs with `preview_steps`); once `control.signal`
   * aborts, it stops between steps with a cancellation.
   */
  generate(batch: P[], control?: GeneratorControl): Promise<GeneratedBatch>;
  /** Runs one small generation so kernels are compiled before the first real job. */
  warmup(): Promise<void>;
  dispose(): void;
}
