import { imageSeed } from '@kandinsky/protocol';
import type { RunnerJob } from './protocol.js';

/** S3 allows 2 KiB of user metadata in total; the prompt gets what the fixed fields leave. */
const PROMPT_BUDGET = 1200;

/**
 * The generation parameters stored with each result object as S3 user metadata (`x-amz-meta-*`), so an image can be
 * traced back and reproduced without the job record. Header values must be ASCII: texts are percent-encoded and the
 * prompt is cut to fit S3's 2 KiB metadata limit (`prompt-truncated: true` says so).
 */
export function generationMetadata(job: RunnerJob, imageIndex: number, runnerId: string): Record<string, string> {
  const p = job.params;
  const meta: Record<string, string> = {
    'job-id': job.id,
    task: job.task,
    'image-index': String(imageIndex),
    // The same seed the completion reports for this image (the contract's `imageSeed`).
    seed: String(imageSeed(p.seed, imageIndex)),
    width: String(p.width),
    height: String(p.height),
    steps: String(p.steps),
    'guidance-scale': String(p.guidance_scale),
    'prior-steps': String(p.prior_steps),
    'prior-guidance-scale': String(p.prior_guidance_scale),
    scheduler: p.scheduler,
    model: 'kandinsky-2.1',
    runner: runnerId,
  };
  if ('strength' in p) meta.strength = String(p.strength);
  if ('mask_source' in p) meta['mask-source'] = p.mask_source;
  if ('prompt' in p && p.prompt !== undefined) putText(meta, 'prompt', p.prompt);
  if (p.negative_prompt) putText(meta, 'negative-prompt', p.negative_prompt, 300);
  return meta;
}

function putText(meta: Record<string, string>, name: string, text: string, budget = PROMPT_BUDGET): void {
  let chars = [...text];
  let encoded = encodeURIComponent(text);
  if (encoded.length > budget) {
    // Cut whole characters (never half a UTF-8 sequence) until the encoded text fits.
    while (encoded.length > budget) {
      chars = chars.slice(0, Math.max(0, chars.length - Math.ceil((encoded.length - budget) / 9)));
      encoded = encodeURIComponent(chars.join(''));
    }
    meta[`${name}-truncated`] = 'true';
  }
  meta[name] = encoded;
}
