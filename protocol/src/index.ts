/**
 * The wire types of docs/runner-protocol.md: what the edge hands a runner on `/lease` and what the runner reports
 * back. One definition for both sides, so a protocol change is a type error on whichever side lags.
 */

/** The five generation tasks. */
export const TASKS = ['text2image', 'variation', 'fuse', 'img2img', 'inpaint'] as const;
/** A generation task. */
export type Task = (typeof TASKS)[number];

/** One fuse input: a text or an image (bucket key) with a weight. */
export type FuseInput =
  | { type: 'text'; text: string; weight: number }
  | { type: 'image'; image: string; weight: number };

/** `RunnerJob.params`: a request after the edge's validation and defaults (sizes already multiples of 64). */
export interface RunnerParams {
  prompt?: string;
  negative_prompt?: string;
  n: number;
  width: number;
  height: number;
  seed: number;
  steps: number;
  guidance_scale: number;
  prior_steps: number;
  prior_guidance_scale: number;
  scheduler: 'ddim' | 'ddpm' | 'dpmpp_2m';
  strength?: number;
  image?: string;
  mask?: string;
  inputs?: FuseInput[];
  output_format: 'png' | 'jpeg' | 'webp';
}

/** A job handed to a runner by `/lease`. */
export interface RunnerJob {
  id: string;
  task: Task;
  attempt: number;
  /** When the edge accepted the job (epoch ms); older edges may omit it. */
  created_at?: number;
  params: RunnerParams;
  output: { prefix: string };
}

/** A result image a runner stored and reports on `/complete`. */
export interface ResultImage {
  key: string;
  width: number;
  height: number;
  content_type: 'image/png' | 'image/jpeg' | 'image/webp';
  seed: number;
  bytes: number;
}

/** Progress carried by a heartbeat. */
export interface JobProgress {
  stage: string;
  step: number;
  total_steps: number;
}

/** A job failure as a runner reports it on `/fail`. */
export interface JobError {
  code: string;
  message: string;
}
