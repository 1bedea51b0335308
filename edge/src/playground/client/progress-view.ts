/**
 * Browser module `progress-view.js`: the live status of the running job (queued, step N of M with the stage name,
 * done, failed), announced politely to screen readers and drawn as a progress bar.
 */
// biome-ignore lint/complexity/noUselessStringRaw: browser code must reach the page verbatim, backslashes included.
export const PROGRESS_VIEW_JS = String.raw`
const STAGE_LABELS = { encode: 'encoding', prior: 'prior', decoder: 'denoising', movq: 'decoding' };

/**
 * The words shown for a job state.
 * @param {{ status: string, progress?: { stage: string, step: number, total_steps: number } | null,
 *   output?: { images: unknown[] } | null, error?: { message: string } | null, attempts?: number }} job
 */
export function describeJob(job) {
  switch (job.status) {
    case 'queued':
      return job.attempts > 0 ? 'Waiting for a runner again (attempt ' + (job.attempts + 1) + ')…' : 'Queued…';
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

/** @param {{ container: HTMLElement, text: HTMLElement, bar: HTMLProgressElement }} elements */
export function createProgressView({ container, text, bar }) {
  return {
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
