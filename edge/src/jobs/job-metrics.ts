import type { JobRecord } from './types';

/** Where a finished job's time went, as clients see it (Replicate's `metrics`, with the stages split out). */
export interface JobMetrics {
  /** From acceptance to the first lease (ms); null when no runner ever took it (cancelled while queued). */
  queue_wait_ms: number | null;
  /** The model run on the runner (ms): its "predict time". Null when the job did not succeed. */
  predict_ms: number | null;
  /**
   * The runner's time per stage (ms): `encode` (text and image encoders), `prior`, `decoder` (the U-Net loop), `movq`
   * (decoding the final latents), `preview` (decoding previews, when asked for), `upload` (storing the results).
   * A job that ran batched with others reports the shared pass's times. Null when the job did not succeed.
   */
  stages_ms: Partial<Record<'encode' | 'prior' | 'decoder' | 'movq' | 'preview' | 'upload', number>> | null;
  /** From acceptance to the end (ms). */
  total_ms: number;
}

const STAGES = ['encode', 'prior', 'decoder', 'movq', 'preview', 'upload'] as const;

/**
 * The metrics of a finished job: queue wait and total time from the edge's own clock, predict time and stages from
 * the timings its runner reported (`result.timings_ms`, see RUNNER_TIMING_KEYS). Null while the job is in flight.
 */
export function jobMetrics(record: JobRecord): JobMetrics | null {
  if (record.completed_at === null) return null;
  const timings = record.result?.timings_ms;
  let stages: JobMetrics['stages_ms'] = null;
  if (timings) {
    stages = {};
    for (const stage of STAGES) {
      const ms = timings[`${stage}_ms`];
      if (ms !== undefined) stages[stage] = Math.round(ms);
    }
  }
  const predict = timings?.generate_ms;
  return {
    queue_wait_ms: record.started_at === null ? null : Math.max(0, record.started_at - record.created_at),
    predict_ms: predict === undefined ? null : Math.round(predict),
    stages_ms: stages,
    total_ms: Math.max(0, record.completed_at - record.created_at),
  };
}
