import { KeyedWaiters } from './keyed-waiters';

/** The key under which watchers of queued jobs wait for the queue to move (no job id looks like it). */
const QUEUE_MOVED = '*queue';

/**
 * Clients waiting for a job to change (`Prefer: wait`, the SSE stream). A queued job's watchers also wake when the
 * queue moves, since the job's place changed with it.
 */
export class JobWatchers {
  private readonly waiters = new KeyedWaiters();

  /** Resolves when job `id` changes (or, while `queued`, the queue moves), or after `timeoutMs`. */
  wait(id: string, queued: boolean, timeoutMs: number): Promise<void> {
    return this.waiters.waitFor(queued ? [id, QUEUE_MOVED] : [id], timeoutMs);
  }

  /** Job `id` changed. */
  changed(id: string): void {
    this.waiters.wake(id);
  }

  /** A job left the queue or rejoined it, so every queued job's place changed. */
  queueMoved(): void {
    this.waiters.wake(QUEUE_MOVED);
  }
}
