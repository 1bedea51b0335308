import * as tf from '@tensorflow/tfjs';
import type { NoiseSource } from '../random/noise-source.js';
import { RowBlockNoise } from '../random/row-block-noise.js';
import type { Scheduler } from '../schedulers/scheduler.js';
import { UnclipScheduler } from '../schedulers/unclip-scheduler.js';
import {
  cfgBatch,
  concatParts,
  concatRows,
  eachOwned,
  guide,
  repeatRows,
  scaleNoise,
  yieldToEventLoop,
} from './batching.js';
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

/** One request of a batched prior run: its prompt, optional negative prompt, image count and own noise. */
export interface PriorBatchItem {
  prompt: string;
  /** As {@link PriorRequest.negativePrompt}. */
  negativePrompt?: string;
  imagesPerPrompt: number;
  /** This request's noise (image i's source serves its rows, see `PerImageNoise`). */
  noise: NoiseSource;
}

/** Several prior requests sharing steps and guidance, run as one batch. */
export interface PriorBatchRequest {
  items: readonly PriorBatchItem[];
  steps: number;
  guidanceScale: number;
  /** Defaults to a fresh UnCLIP scheduler with Kandinsky's config. */
  scheduler?: Scheduler;
}

/**
 * Samples CLIP image embeddings from text with the diffusion prior, as the reference does: prompts (and the negative
 * prompt, when given, as extra rows with itself as their unconditional text) are encoded cond-then-uncond, the
 * initial latents are one `[rows, D]` draw, each step runs the prior on `[uncond, cond]` and applies guidance, and
 * the UnCLIP step draws its own noise for t > 0. Output rows are per image (`repeat_interleave`).
 */
export async function runPrior(c: PriorComponents, req: PriorRequest, control: RunControl = {}): Promise<PriorResult> {
  const { prompt, negativePrompt, imagesPerPrompt, noise, ...shared } = req;
  const [result] = await runPriorBatch(
    c,
    { ...shared, items: [{ prompt, negativePrompt, imagesPerPrompt, noise }] },
    control,
  );
  return result;
}

/**
 * {@link runPrior} for several requests in one pass: each request's rows (laid out as it would be alone) are stacked
 * in request order, so the prior runs once per step for all of them (guidance batch included), and every draw is
 * split so each request's noise source sees exactly its own draws. Text is encoded per request (the same encoder
 * batch as alone). Returns one {@link PriorResult} per item, which the caller owns.
 */
export async function runPriorBatch(
  c: PriorComponents,
  req: PriorBatchRequest,
  control: RunControl = {},
): Promise<PriorResult[]> {
  if (req.items.length === 0) throw new RangeError('runPriorBatch needs at least one request');
  const useCfg = req.guidanceScale > 1;
  const scheduler = req.scheduler ?? new UnclipScheduler();
  const layout = req.items.map((item) => ({
    n: item.imagesPerPrompt,
    prompts: item.negativePrompt === undefined ? [item.prompt] : [item.prompt, item.negativePrompt],
    uncondPrompts: item.negativePrompt === undefined ? [''] : [item.negativePrompt, item.negativePrompt],
  }));
  const noise = new RowBlockNoise(
    req.items.map((item, i) => ({ source: item.noise, rows: layout[i].prompts.length * item.imagesPerPrompt })),
  );
  const keep: tf.Tensor[] = [];
  try {
    const cond = encodeBatchText(
      c,
      layout.map((l) => ({ prompts: l.prompts, n: l.n })),
    );
    keep.push(cond.embeds, cond.hidden, cond.mask);
    let embeds = cond.embeds;
    let hidden = cond.hidden;
    let mask = cond.mask;
    if (useCfg) {
      const uncond = encodeBatchText(
        c,
        layout.map((l) => ({ prompts: l.uncondPrompts, n: l.n })),
      );
      keep.push(uncond.embeds, uncond.hidden, uncond.mask);
      embeds = cfgBatch(uncond.embeds, cond.embeds);
      keep.push(embeds);
      hidden = cfgBatch(uncond.hidden, cond.hidden);
      keep.push(hidden);
      mask = cfgBatch(uncond.mask, cond.mask);
      keep.push(mask);
    }
    control.onProgress?.({ stage: 'encode', step: 1, totalSteps: 1 });
    scheduler.setTimesteps(req.steps);
    const rows = cond.embeds.shape[0];
    const width = cond.embeds.shape[1];
    let latents = scaleNoise(noise.normal([rows, width]) as tf.Tensor2D, scheduler.initNoiseSigma);
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
          const out = scheduler.step({ index, modelOutput: prediction, sample: latents, noise });
          return out.prevSample as tf.Tensor2D;
        });
        latents.dispose();
        latents = next;
        control.onProgress?.({ stage: 'prior', step: index + 1, totalSteps: timesteps.length });
        await yieldToEventLoop();
      }
      const embeddings = c.prior.postProcess(latents);
      keep.push(embeddings);
      return splitPerItem(c, embeddings, layout);
    } finally {
      latents.dispose();
    }
  } finally {
    tf.dispose(keep);
    if (!req.scheduler) scheduler.dispose();
  }
}

/**
 * Cuts the batch's embeddings back into per-request results: a request with a negative prompt gets its first `n`
 * rows as image embeddings and the next `n` as negatives; one without gets the zero-image embedding as negatives.
 */
function splitPerItem(
  c: PriorComponents,
  embeddings: tf.Tensor2D,
  layout: readonly { n: number; prompts: string[] }[],
): PriorResult[] {
  const results: PriorResult[] = [];
  try {
    let at = 0;
    for (const { n, prompts } of layout) {
      const imageEmbeds = tf.slice(embeddings, [at, 0], [n, -1]);
      const negativeImageEmbeds =
        prompts.length === 2
          ? tf.slice(embeddings, [at + n, 0], [n, -1])
          : (() => {
              try {
                return zeroImageEmbeds(c.imageEncoder, n);
              } catch (err) {
                imageEmbeds.dispose();
                throw err;
              }
            })();
      results.push({ imageEmbeds, negativeImageEmbeds });
      at += n * prompts.length;
    }
    return results;
  } catch (err) {
    for (const r of results) tf.dispose([r.imageEmbeds, r.negativeImageEmbeds]);
    throw err;
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

/** Each request's prompts encoded as alone ({@link encodePriorText}), stacked in request order. */
function encodeBatchText(c: PriorComponents, requests: readonly { prompts: string[]; n: number }[]) {
  const parts = eachOwned(requests, (r) => encodePriorText(c, r.prompts, r.n));
  return concatParts(parts) as ReturnType<typeof encodePriorText>;
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
