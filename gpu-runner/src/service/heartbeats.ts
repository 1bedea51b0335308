import type { ProgressEvent } from '../pipelines/progress.js';
import { type EdgeApi, LeaseLostError } from './edge-client.js';
import type { HeldJob } from './held-job.js';
import type { Logger } from './logger.js';
import type { RunnerMetrics } from './runner-metrics.js';

/**
 * Keeps held jobs alive: each heartbeat extends a job's lease and carries its latest progress (and stored preview
 * steps); its answer brings back a client's cancel, and a lost lease stops the job. One heartbeat per job is in flight
 * at a time; a beat asked for meanwhile joins it.
 */
export class Heartbeats {
  constructor(
    private readonly edge: EdgeApi,
    private readonly metrics: RunnerMetrics,
    private readonly log: Logger,
    /** Called after every beat, e.g. to abort a run once none of its jobs is running. */
    private readonly afterBeat: (held: HeldJob) => void,
  ) {}

  /** Extends a lease (carrying progress); a cancel or a lost lease stops the job. */
  beat(held: HeldJob): Promise<void> {
    if (!held.running) return Promise.resolve();
    held.beating ??= (async () => {
      try {
        const sent = Date.now();
        const progress =
          held.progress && held.previews.length > 0
            ? { ...held.progress, previews: [...held.previews] }
            : held.progress;
        const answer = await this.edge.heartbeat(held.job.id, held.lease.id, progress);
        this.log.debug('heartbeat', { job: held.job.id, ms: Date.now() - sent, step: held.progress?.step });
        if (answer.cancel && held.stop('cancelled')) this.log.info('job cancelled by the client', { job: held.job.id });
      } catch (err) {
        if (err instanceof LeaseLostError) {
          if (held.stop('lost')) this.log.warn('lease lost', { job: held.job.id, error: err.message });
        } else {
          this.metrics.errors.inc({ code: 'heartbeat_failed' });
          this.log.warn('heartbeat failed; will retry', { job: held.job.id, error: String(err) });
        }
      } finally {
        held.beating = undefined;
      }
      this.afterBeat(held);
    })();
    return held.beating;
  }

  /**
   * The progress callback of a run over `jobs`: records step times, sets each job's progress, and beats at most every
   * `intervalMs` (and always at a stage's last step, so clients see 100% before the result arrives).
   */
  progressReporter(jobs: readonly HeldJob[], intervalMs: number): (event: ProgressEvent) => void {
    let lastSent = 0;
    let last: { stage: string; step: number; at: number } | undefined;
    return ({ stage, step, totalSteps }) => {
      const now = Date.now();
      if (last && last.stage === stage && step === last.step + 1) {
        this.metrics.stepTime.observe((now - last.at) / 1000, { stage });
      }
      last = { stage, step, at: now };
      for (const held of jobs) held.progress = { stage, step, total_steps: totalSteps };
      if (now - lastSent >= intervalMs || step === totalSteps) {
        lastSent = now;
        for (const held of jobs) void this.beat(held);
      }
    };
  }
}
