/** Types of docs/runner-protocol.md as the runner sees them. */

import type { JobProgress, RunnerParams } from '@kandinsky/protocol';

// The wire types shared with the edge live in one place: @kandinsky/protocol.
export type { FuseInput, JobError, ResultImage, RunnerJob, Task } from '@kandinsky/protocol';

/** `RunnerJob.params`, under the runner's name for it. */
export type JobParams = RunnerParams;
/** Progress carried by a heartbeat. */
export type Progress = JobProgress;

/** A held lease. `expires_at` is whatever the edge sent (epoch ms or ISO); the runner only echoes `id`. */
export interface Lease {
  id: string;
  expires_at: unknown;
}
