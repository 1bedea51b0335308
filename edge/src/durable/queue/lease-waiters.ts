import type { Task } from '../../jobs/types';

interface LeaseWaiter {
  tasks: ReadonlySet<Task> | null;
  wake: () => void;
}

/**
 * The runners blocked in a lease long-poll on one shard. A new or requeued job wakes one runner that can take its
 * task, not all of them: only one can win the job, the rest would sweep the table for nothing.
 */
export class LeaseWaiters {
  private waiters: LeaseWaiter[] = [];

  /** Resolves when a job of `tasks` (null: any task) may be available, or after `timeoutMs`. */
  wait(tasks: ReadonlySet<Task> | null, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const waiter: LeaseWaiter = { tasks, wake: () => done() };
      const timer = setTimeout(() => done(), timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve();
      };
      this.waiters.push(waiter);
    });
  }

  /** Wakes the longest-waiting runner that takes `task`. */
  wakeOne(task: Task): void {
    this.waiters.find((w) => !w.tasks || w.tasks.has(task))?.wake();
  }
}
