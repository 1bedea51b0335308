import * as tf from '@tensorflow/tfjs';
import type { NoiseSource } from '../random/noise-source.js';
import type { Scheduler } from '../schedulers/scheduler.js';
import { UnclipScheduler } from '../schedulers/unclip-scheduler.js';
import { cfgBatch, concatRows, guide, repeatRows, scaleNoise, yieldToEventLoop } from './batching.js';
import type { ImageEncoder, PriorComponents } from './components.js';
import { type RunControl, throwIfCancelled } from './progress.js';

/** One prior run (diffusers `KandinskyPriorPipeline.__call__`). */
export interface PriorRequest {
  prompt: string;
  /**
   * Absent: the negative image embedding is the CLIP embedding of an all-zero (normalized) image and the prior runs
   * once. Given (even ""): the prior also samples an embedding for it, used as the negative.
   */
  negativePrompt?: string;
  imagesPerPrompt: number;
  steps: number;
  guidanceScale: number;
  noise: NoiseSource;
  /** Defaults to a fresh UnCLIP scheduler with Kandinsky's config. */
  scheduler?: Scheduler;
}

/** Image embeddings for the decoder, `[imagesPerPrompt, D]` each; the caller owns both. */
export interface PriorResult {
  imageEmbeds: tf.Tensor2D;
  negativeImageEmbeds: tf.Tensor2D;
}

/**
 * Samples CLIP image embeddings from text with the diffusion prior, as the reference does: prompts (and the negative
 * prompt, when given, as extra rows with itself as their unconditional text) are encoded cond-then-uncond, the
 * initial latents are one `[rows, D]` draw, each step runs the prior on `[uncond, cond]` and applies guidance, and
 * the UnCLIP step draws its own noise for t > 0. Output rows are per image (`repeat_interleave`).
 */
export async function runPrior(c: PriorComponents, req: PriorRequest, control: RunControl = {}): Promise<PriorResult> {
  const n = req.imagesPerPrompt;
  const prompts = req.negativePrompt === undefined ? [req.prompt] : [req.prompt, req.negativePrompt];
  const uncondPrompts = req.negativePrompt === undefined ? [''] : [req.negativePrompt, req.negativePrompt];
  const useCfg = req.guidanceScale > 1;
  const scheduler = req.scheduler ?? new UnclipScheduler();
  const keep: tf.Tensor[] = [];
  try {
    const cond = encodePriorText(c, prompts, n);
    keep.push(cond.embeds, cond.hidden, cond.mask);
    let embeds = cond.embeds;
    let hidden = cond.hidden;
    let mask = cond.mask;
    if (useCfg) {
      const uncond = encodePriorText(c, uncondPrompts, n);
      keep.push(uncond.embeds, uncond.hidden, uncond.mask);
      embeds = cfgBatch(uncond.embeds, cond.embeds);
      hidden = cfgBatch(uncond.hidden, cond.hidden);
      mask = cfgBatch(uncond.mask, cond.mask);
      keep.push(embeds, hidden, mask);
    }
    control.onProgress?.({ stage: 'encode', step: 1, totalSteps: 1 });
    scheduler.setTimesteps(req.steps);
    const rows = prompts.length * n;
    const width = cond.embeds.shape[1];
    let latents = scaleNoise(req.noise.normal([rows, width]) as tf.Tensor2D, scheduler.initNoiseSigma);
    try {
      const timesteps = scheduler.timesteps;
      for (let index = 0; index < timesteps.length; index++) {
        throwIfCancelled(control, 'prior');
        const next = tf.tidy(() => {
          const input = useCfg ? cfgBatch(latents, latents) : latents;
          const raw = c.prior.predict({
            latents: input,
            timestep: timesteps[index],
            textEmbeds: embeds,
            textHidden: hidden,
            textMask: mask,
          });
          const prediction = useCfg ? guide(raw, req.guidanceScale) : raw;
          const out = scheduler.step({ index, modelOutput: prediction, sample: latents, noise: req.noise });
          return out.prevSample as tf.Tensor2D;
        });
        latents.dispose();
        latents = next;
        control.onProgress?.({ stage: 'prior', step: index + 1, totalSteps: timesteps.length });
        await yieldToEventLoop();
      }
      const embeddings = c.prior.postProcess(latents);
      if (req.negativePrompt !== undefined) {
        const [imageEmbeds, negativeImageEmbeds] = tf.split(embeddings, 2, 0) as [tf.Tensor2D, tf.Tensor2D];
        embeddings.dispose();
        return { imageEmbeds, negativeImageEmbeds };
      }
      try {
        return { imageEmbeds: embeddings, negativeImageEmbeds: zeroImageEmbeds(c.imageEncoder, rows) };
      } catch (err) {
        embeddings.dispose();
        throw err;
      }
    } finally {
      latents.dispose();
    }
  } finally {
    tf.dispose(keep);
    if (!req.scheduler) scheduler.dispose();
  }
}

/**
 * diffusers `get_zero_embed`: the CLIP embedding of an all-zero image **in normalized pixel space** (not a black
 * image), repeated for `rows` rows. It is the default negative image embedding.
 */
export function zeroImageEmbeds(encoder: ImageEncoder, rows: number): tf.Tensor2D {
  return tf.tidy(() => {
    const zeros = tf.zeros([1, encoder.imageSize, encoder.imageSize, 3]) as tf.Tensor4D;
    const embed = encoder.encode(zeros);
    return tf.tile(embed, [rows, 1]) as tf.Tensor2D;
  });
}

/** Tokenizes and encodes prompts for the prior: ids padded to the prior's text length, mask as float, rows × n. */
function encodePriorText(c: PriorComponents, prompts: string[], n: number) {
  const batch = c.tokenizer.encode(prompts, { maxLength: c.prior.textLength });
  return tf.tidy(() => {
    const ids = tf.tensor2d(concatRows(batch.inputIds), [prompts.length, c.prior.textLength], 'int32');
    const mask = tf.tensor2d(Float32Array.from(concatRows(batch.attentionMask)), [prompts.length, c.prior.textLength]);
    const out = c.textEncoder.encode(ids);
    return {
      embeds: repeatRows(out.textEmbeds, n),
      hidden: repeatRows(out.lastHiddenState, n),
      mask: repeatRows(mask, n),
    };
  });
}
