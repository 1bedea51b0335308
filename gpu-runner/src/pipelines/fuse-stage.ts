import * as tf from '@tensorflow/tfjs';
import type { NoiseSource } from '../random/noise-source.js';
import { repeatRows } from './batching.js';
import type { PriorComponents } from './components.js';
import { PipelineParamError } from './pipeline-errors.js';
import { type PriorResult, runPrior, zeroImageEmbeds } from './prior-stage.js';
import type { RunControl } from './progress.js';

/** One weighted input of a fusion: a prompt (sampled through the prior) or an image (its CLIP embedding). */
export type FuseItem =
  | { type: 'text'; text: string; weight: number }
  /** `pixels`: CLIP-preprocessed `[1, S, S, 3]` (see the image module's CLIP processor). */
  | { type: 'image'; pixels: tf.Tensor4D; weight: number };

/** A fusion request (diffusers `KandinskyPriorPipeline.interpolate`). */
export interface FuseRequest {
  items: FuseItem[];
  /** Negative prompt of every prior run (`negative_prior_prompt`); absent = zero-image negatives. */
  negativePriorPrompt?: string;
  /** The prompt whose prior run gives the negative embedding; "" (default) = that run's zero-image negative. */
  negativePrompt?: string;
  imagesPerPrompt: number;
  steps: number;
  guidanceScale: number;
  noise: NoiseSource;
}

/** Checks fusion weights: finite, and summing to a positive number (they are used as given, not renormalized). */
export function checkFuseWeights(weights: readonly number[]): void {
  if (weights.length === 0) throw new PipelineParamError('inputs', 'needs at least one text or image');
  weights.forEach((w, i) => {
    if (!Number.isFinite(w)) throw new PipelineParamError(`inputs[${i}].weight`, `must be a finite number, got ${w}`);
  });
  const sum = weights.reduce((a, b) => a + b, 0);
  if (!(sum > 0)) throw new PipelineParamError('inputs', `weights must sum to a positive number, got ${sum}`);
}

/**
 * Mixes prompts and images into one image embedding per output image, as the reference does: items in order, each
 * prompt a full prior run (sharing the noise stream), each image its raw CLIP image embedding (no prior);
 * `Σ weight_i · emb_i` without renormalization. The negative embedding then comes from one more prior run for
 * `negativePrompt` (its zero-image negative when that is "", as in the reference, which spends the run's draws).
 */
export async function runFusePrior(
  c: PriorComponents,
  req: FuseRequest,
  control: RunControl = {},
): Promise<PriorResult> {
  checkFuseWeights(req.items.map((i) => i.weight));
  const n = req.imagesPerPrompt;
  let mixed: tf.Tensor2D | undefined;
  try {
    for (const item of req.items) {
      let embeds: tf.Tensor2D;
      if (item.type === 'text') {
        const run = await runPrior(
          c,
          { ...priorParams(req), prompt: item.text, negativePrompt: req.negativePriorPrompt },
          control,
        );
        run.negativeImageEmbeds.dispose();
        embeds = run.imageEmbeds;
      } else {
        embeds = tf.tidy(() => repeatRows(c.imageEncoder.encode(item.pixels), n));
      }
      const previous: tf.Tensor2D | undefined = mixed;
      mixed = tf.tidy(() => {
        const weighted = tf.mul(embeds, item.weight) as tf.Tensor2D;
        return previous ? (tf.add(previous, weighted) as tf.Tensor2D) : weighted;
      });
      tf.dispose([embeds, previous as tf.Tensor2D]);
    }
    const negativePrompt = req.negativePrompt ?? '';
    const negativeRun = await runPrior(
      c,
      { ...priorParams(req), prompt: negativePrompt, negativePrompt: req.negativePriorPrompt },
      control,
    );
    const useZero = negativePrompt === '';
    (useZero ? negativeRun.imageEmbeds : negativeRun.negativeImageEmbeds).dispose();
    const result = {
      imageEmbeds: mixed as tf.Tensor2D,
      negativeImageEmbeds: useZero ? negativeRun.negativeImageEmbeds : negativeRun.imageEmbeds,
    };
    mixed = undefined;
    return result;
  } finally {
    mixed?.dispose();
  }
}

/**
 * Image variations: the CLIP embedding of the image as the image embedding of every output image, the zero-image
 * embedding as the negative (what `interpolate([image], [1])` yields, without its negative prior run, whose samples it
 * discards).
 */
export function variationEmbeds(
  c: Pick<PriorComponents, 'imageEncoder'>,
  pixels: tf.Tensor4D,
  imagesPerPrompt: number,
): PriorResult {
  const imageEmbeds = tf.tidy(() => repeatRows(c.imageEncoder.encode(pixels), imagesPerPrompt));
  return { imageEmbeds, negativeImageEmbeds: zeroImageEmbeds(c.imageEncoder, imagesPerPrompt) };
}

function priorParams(req: FuseRequest) {
  return { imagesPerPrompt: req.imagesPerPrompt, steps: req.steps, guidanceScale: req.guidanceScale, noise: req.noise };
}
