import type { JobProgress, RunnerJob } from '@kandinsky/protocol';
import type { Lease } from './protocol.js';

/** Why a held job stopped before it could finish: the client cancelled, the lease was lost, or it was handed back. */
export type StopReason = 'cancelled' | 'lost' | 'released';

/** How a held job ended; each job ends, and is reported and counted, exactly once. */
export type JobOutcome = 'succeeded' | 'failed' | StopReason;

/**
 * A leased job while this runner holds it. It is `running` until it is stopped (the client cancelled, the lease was
 * lost, or the runner hands it back on shutdown; the first reason wins) and then settled exactly once: {@link settle}
 * grants the right to report the job's end to one caller only, so two paths that finish the same job (a failed upload
 * and a shutdown, say) cannot report or count it twice.
 */
export class HeldJob {
  private state: 'running' | StopReason | 'settled' = 'running';
  /** The latest progress, sent with the next heartbeat. */
  progress?: JobProgress;
  /** The decoder steps whose previews are stored, ascending (sent with every heartbeat as `progress.previews`). */
  readonly previews: number[] = [];
  /** The job's preview uploads, chained in step order; settles when the last one is done. */
  previewUploads: Promise<void> = Promise.resolve();
  /** The heartbeat in flight, if any (one at a time per job). */
  beating?: Promise<void>;
  readonly leasedAt = Date.now();

  constructor(
    readonly job: RunnerJob,
    readonly lease: Lease,
  ) {}

  /** True until the job is stopped or settled: only running jobs are uploaded and completed. */
  get running(): boolean {
    return this.state === 'running';
  }

  /** Stops a running job for `reason`; false (and no change) when it was already stopped or settled. */
  stop(reason: StopReason): boolean {
    if (this.state !== 'running') return false;
    this.state = reason;
    return true;
  }

  /**
   * Claims the job's end. Returns the state it was in (`running`, or why it stopped) to the first caller and null to
   * every later one.
   */
  settle(): 'running' | StopReason | null {
    if (this.state === 'settled') return null;
    const was = this.state;
    this.state = 'settled';
    return was;
  }
}
