/**
 * Browser module `progress-view.js`: the live status of the running job (queued with its place in the queue, step N
 * of M with the stage name, done, failed), announced politely to screen readers and drawn as a progress bar, and the
 * latest preview of the image as it forms.
 */
// biome-ignore lint/complexity/noUselessStringRaw: browser code must reach the page verbatim, backslashes included.
export const PROGRESS_VIEW_JS = String.raw`
const STAGE_LABELS = { encode: 'encoding', prior: 'prior', decoder: 'denoising', movq: 'decoding' };

/**
 * The words shown for a job state.
 * @param {{ status: string, progress?: { stage: string, step: number, total_steps: number } | null,
 *   output?: { images: unknown[] } | null, error?: { message: string } | null, attempts?: number,
 *   queue?: { position: number, estimated_start_at: number | null } | null }} job
 * @param {number} [now] epoch ms
 */
export function describeJob(job, now = Date.now()) {
  switch (job.status) {
    case 'queued': {
      const waiting = job.attempts > 0 ? 'Waiting for a runner again (attempt ' + (job.attempts + 1) + ')' : 'Queued';
      return job.queue ? waiting + ': ' + describePlace(job.queue, now) + '.' : waiting + '…';
    }
    case 'running': {
      const progress = job.progress;
      if (!progress || !progress.total_steps) return 'Starting…';
      const stage = STAGE_LABELS[progress.stage] ?? progress.stage;
      return 'Step ' + progress.step + ' of ' + progress.total_steps + (stage ? ' (' + stage + ')' : '');
    }
    case 'succeeded': {
      const count = job.output?.images.length ?? 0;
      return 'Done: ' + count + (count === 1 ? ' image.' : ' images.');
    }
    case 'failed':
      return 'Failed: ' + (job.error?.message ?? 'unknown error');
    case 'cancelled':
      return 'Cancelled.';
    default:
      return job.status;
  }
}

/**
 * A queued job's place: "1st in line, starting in about 40 s" (or "starting now" when due).
 * @param {{ position: number, estimated_start_at: number | null }} queue
 * @param {number} now epoch ms
 */
export function describePlace(queue, now) {
  const place = queue.position === 1 ? 'next in line' : 'number ' + queue.position + ' in line';
  if (queue.estimated_start_at === null || queue.estimated_start_at === undefined) return place;
  const seconds = Math.round(queue.estimated_start_at - now / 1000);
  if (seconds <= 1) return place + ', starting now';
  return place + ', starting in about ' + (seconds < 90 ? seconds + ' s' : Math.round(seconds / 60) + ' min');
}

/**
 * @param {{ container: HTMLElement, text: HTMLElement, bar: HTMLProgressElement,
 *   live?: { figure: HTMLElement, image: HTMLImageElement, caption: HTMLElement } }} elements
 */
export function createProgressView({ container, text, bar, live }) {
  return {
    /** Shows the latest preview (its first image) with the step it is from. */
    preview(preview, totalSteps) {
      if (!live || !preview.images.length) return;
      live.image.src = preview.images[0].url;
      live.image.alt = 'Preview after step ' + preview.step;
      live.caption.textContent = 'Preview after step ' + preview.step + (totalSteps ? ' of ' + totalSteps : '');
      live.figure.hidden = false;
    },
    /** Removes the preview (a new job, or the final images arrived). */
    clearPreview() {
      if (!live) return;
      live.figure.hidden = true;
      live.image.removeAttribute('src');
    },
    /** A status line without a job: with an indeterminate bar while waiting, or without one for a note. */
    message(message, { waiting = true } = {}) {
      container.hidden = false;
      text.textContent = message;
      text.classList.remove('failed');
      bar.hidden = !waiting;
      bar.removeAttribute('value');
    },
    hide() {
      container.hidden = true;
    },
    /** @param {object} job */
    show(job) {
      container.hidden = false;
      bar.hidden = false;
      text.textContent = describeJob(job);
      text.classList.toggle('failed', job.status === 'failed');
      const progress = job.progress;
      if (job.status === 'succeeded') {
        bar.max = 1;
        bar.value = 1;
      } else if (job.status === 'running' && progress?.total_steps) {
        bar.max = progress.total_steps;
        bar.value = progress.step;
      } else if (job.status === 'queued' || job.status === 'running') {
        // Indeterminate until a runner reports steps.
        bar.removeAttribute('value');
      } else {
        bar.max = 1;
        bar.value = 0;
      }
    },
  };
}
`;
