import type { ProgressEvent } from './progress.js';

/**
 * Wall time per generation stage, from progress events: the time since the previous event is charged to the event's
 * stage. Preview work is charged to `preview` and kept out of the next step's time.
 */
export class StageTimings {
  /** Milliseconds per stage; `total` once {@link finish} is called. */
  readonly ms: Record<string, number> = {};
  private readonly started = performance.now();
  private last = this.started;

  constructor(private readonly forward?: (event: ProgressEvent) => void) {}

  /** The progress callback of the run: records the stage's time, then passes the event on. */
  readonly onProgress = (event: ProgressEvent): void => {
    const now = performance.now();
    this.add(event.stage, now - this.last);
    this.last = now;
    this.forward?.(event);
  };

  /** Times `work` as a `preview` and keeps it out of the stage that is running. */
  async preview<T>(work: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await work();
    } finally {
      const spent = performance.now() - t0;
      this.add('preview', spent);
      this.last += spent;
    }
  }

  /** Records the run's `total`. */
  finish(): void {
    this.ms.total = performance.now() - this.started;
  }

  private add(stage: string, ms: number): void {
    this.ms[stage] = (this.ms[stage] ?? 0) + ms;
  }
}
