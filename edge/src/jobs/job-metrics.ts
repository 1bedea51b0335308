import type { z } from 'zod';
import { type jobMetricsSchema, METRIC_STAGES } from '../schemas/public-job';
import type { JobRecord } from './types';

/** Where a finished job's time went, as clients see it (schemas/public-job.ts). */
export type JobMetrics = z.infer<typeof jobMetricsSchema>;

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
    for (const stage of METRIC_STAGES) {
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
