/** Types of docs/runner-protocol.md as the runner sees them. */

/** A generation task. */
export type Task = 'text2image' | 'variation' | 'fuse' | 'img2img' | 'inpaint';

/** One fuse input: a text or an image (bucket key) with a weight. */
export type FuseInput =
  | { type: 'text'; text: string; weight: number }
  | { type: 'image'; image: string; weight: number };

/** `RunnerJob.params`. */
export interface JobParams {
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
  params: JobParams;
  output: { prefix: string };
}

/** A held lease. `expires_at` is whatever the edge sent (epoch ms or ISO); the runner only echoes `id`. */
export interface Lease {
  id: string;
  expires_at: unknown;
}

/** A stored result image, reported on completion. */
export interface ResultImage {
  key: string;
  width: number;
  height: number;
  content_type: 'image/png' | 'image/jpeg' | 'image/webp';
  seed: number;
  bytes: number;
}

/** Progress carried by a heartbeat. */
export interface Progress {
  stage: string;
  step: number;
  total_steps: number;
}

/** A job failure as reported to the edge. */
export interface JobError {
  code: string;
  message: string;
}
