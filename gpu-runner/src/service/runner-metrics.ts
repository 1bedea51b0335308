import * as tf from '@tensorflow/tfjs';
import { Counter, Gauge, Histogram, Registry } from './prometheus.js';

const SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/** Every metric the runner exports on `/metrics`. */
export class RunnerMetrics {
  readonly registry = new Registry();
  readonly queueWait = this.registry.register(
    new Histogram(
      'kandinsky_runner_queue_wait_seconds',
      'Time a job waited in the queue before this runner leased it (needs created_at from the edge).',
      SECONDS,
    ),
  );
  readonly leaseWait = this.registry.register(
    new Histogram(
      'kandinsky_runner_lease_wait_seconds',
      'Time the runner waited idle for a job (long-poll until a lease arrived).',
      SECONDS,
    ),
  );
  readonly stepTime = this.registry.register(
    new Histogram(
      'kandinsky_runner_step_seconds',
      'Time of one sampling step, by pipeline stage.',
      [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    ),
  );
  readonly jobTime = this.registry.register(
    new Histogram('kandinsky_runner_job_seconds', 'Time from lease to the final report, by task and outcome.', SECONDS),
  );
  readonly batchSize = this.registry.register(
    new Histogram('kandinsky_runner_batch_jobs', 'Jobs run together in one pass.', [1, 2, 3, 4, 6, 8, 16]),
  );
  readonly images = this.registry.register(
    new Counter('kandinsky_runner_images_total', 'Result images stored, by task.'),
  );
  readonly jobs = this.registry.register(
    new Counter(
      'kandinsky_runner_jobs_total',
      'Jobs finished by this runner, by task and outcome (succeeded, failed, cancelled, released, lost).',
    ),
  );
  readonly previews = this.registry.register(
    new Counter('kandinsky_runner_previews_total', 'Preview images, by outcome (stored, failed: a failed upload).'),
  );
  readonly errors = this.registry.register(new Counter('kandinsky_runner_errors_total', 'Errors, by code.'));
  readonly storageRetries = this.registry.register(
    new Counter('kandinsky_runner_storage_retries_total', 'Retried storage calls, by operation.'),
  );
  readonly busy = this.registry.register(new Gauge('kandinsky_runner_busy', '1 while a batch is running.'));
  readonly ready = this.registry.register(
    new Gauge('kandinsky_runner_ready', '1 once the model is loaded and warmed up, 0 while starting or draining.'),
  );
  readonly backend = this.registry.register(
    new Gauge('kandinsky_runner_backend_info', 'The TF.js backend in use (value 1).'),
  );
  readonly memory = this.registry.register(
    new Gauge('kandinsky_runner_memory_bytes', 'Memory by area: process rss and heap, TF.js tensors.', (set) => {
      const usage = process.memoryUsage();
      set({ area: 'rss' }, usage.rss);
      set({ area: 'heap_used' }, usage.heapUsed);
      set({ area: 'external' }, usage.external);
      set({ area: 'tf_tensors' }, tf.memory().numBytes);
    }),
  );
  readonly tensors = this.registry.register(
    new Gauge('kandinsky_runner_tf_tensors', 'Live TF.js tensors (flat between jobs when nothing leaks).', (set) =>
      set({}, tf.memory().numTensors),
    ),
  );
}
