import { type OutputFormat, previewKey } from '@kandinsky/protocol';
import type { GeneratedPreview } from '../pipelines/generated-images.js';
import type { HeldJob } from './held-job.js';
import type { Logger } from './logger.js';
import type { RunnerMetrics } from './runner-metrics.js';
import type { StoreApi } from './store-api.js';

/**
 * Stores a job's preview images as the generator makes them and gets them reported: each preview's images go to
 * `previewKey(prefix, step, i, format)` under the job's output prefix, then its step joins the job's `previews` (which
 * every heartbeat carries) and a heartbeat is sent at once, so a client sees the preview without waiting for the
 * progress throttle. Uploads run in the background, one job's in step order, while the model goes on; a failed upload
 * loses that preview only (previews are a view of the run, never a reason to fail it). {@link drain} waits for a
 * job's uploads, so its last heartbeat before completion carries every preview.
 */
export class PreviewPublisher {
  constructor(
    private readonly store: StoreApi,
    private readonly metrics: RunnerMetrics,
    private readonly log: Logger,
    private readonly beat: (held: HeldJob) => Promise<void>,
  ) {}

  /** Queues the upload of `preview` for `held` (a stopped job's previews are dropped). */
  publish(held: HeldJob, preview: GeneratedPreview): void {
    if (!held.running) return;
    const { job } = held;
    const format = job.params.output_format as OutputFormat;
    held.previewUploads = held.previewUploads.then(async () => {
      if (!held.running) return;
      try {
        await Promise.all(
          preview.images.map((image, i) =>
            this.store.put(previewKey(job.output.prefix, preview.step, i, format), image.bytes, image.contentType, {}),
          ),
        );
      } catch (err) {
        this.metrics.previews.inc({ outcome: 'failed' }, preview.images.length);
        this.log.warn('could not store a preview; going on without it', {
          job: job.id,
          step: preview.step,
          error: String(err),
        });
        return;
      }
      this.metrics.previews.inc({ outcome: 'stored' }, preview.images.length);
      held.previews.push(preview.step);
      // A heartbeat in flight may have left before this step joined the list: send one more after it.
      await held.beating;
      await this.beat(held);
    });
  }

  /** Resolves once every preview upload queued for `held` has finished (stored or given up). */
  drain(held: HeldJob): Promise<void> {
    return held.previewUploads;
  }
}
