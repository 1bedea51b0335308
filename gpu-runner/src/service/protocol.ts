/** Types of docs/runner-protocol.md as the runner sees them. */

import type { JobProgress } from '@kandinsky/protocol';

// The wire types shared with the edge live in one place: @kandinsky/protocol.
export type { FuseInput, JobError, ResultImage, RunnerJob, RunnerParams, Task } from '@kandinsky/protocol';

/** Progress carried by a heartbeat. */
export type Progress = JobProgress;

/** A held lease. `expires_at` is whatever the edge sent (epoch ms or ISO); the runner only echoes `id`. */
export interface Lease {
  id: string;
  expires_at: unknown;
}
