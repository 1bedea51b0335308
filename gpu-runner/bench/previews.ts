/**
 * What live previews cost: the same text-to-image request run without previews, with `partial_images: 3` (OpenAI's
 * streaming) and with a preview after every step, through `KandinskyPipelines.run` as the runner calls it (each
 * preview: a MoVQ decode of the step's predicted clean latents, conversion to pixels and encoding, as the final image;
 * storing it is the runner's background upload and not counted here). Model: the small random-weight config that
 * `npm start` serves (the architecture of Kandinsky 2.1 at reduced widths), at 64x64 and 256x256. Prints JSON lines:
 * time per image with and without previews, time per preview, and a preview's cost in decoder steps.
 * `npm run bench -- previews`.
 */
import * as tf from '@tensorflow/tfjs';
import type { GenerationParams } from '../src/pipelines/generation-request.js';
import { report, withRandomModelPipelines } from './util.js';

const STEPS = 20;
const REPEATS = 3;

async function main(): Promise<void> {
  await withRandomModelPipelines(async (pipelines) => {
    for (const size of [64, 256]) {
      const base: GenerationParams = {
        task: 'text2image',
        prompt: 'a lighthouse at dusk',
        width: size,
        height: size,
        seed: 1,
        steps: STEPS,
        prior_steps: 2,
      };
      await pipelines.generate({ ...base, steps: 2, preview_every: 1 }, { onPreview: () => {} }); // warm-up
      const variants: [string, Partial<GenerationParams>][] = [
        ['none', {}],
        ['partial_images_3', { partial_images: 3 }],
        ['every_step', { preview_every: 1 }],
      ];
      const results: Record<string, { ms: number; decoderMs: number; previewMs: number; previews: number }> = {};
      for (const [name, extra] of variants) {
        let best = Number.POSITIVE_INFINITY;
        let kept = { ms: 0, decoderMs: 0, previewMs: 0, previews: 0 };
        for (let r = 0; r < REPEATS; r++) {
          let previews = 0;
          const start = performance.now();
          const result = await pipelines.generate(
            { ...base, ...extra },
            {
              onPreview: () => {
                previews++;
              },
            },
          );
          const ms = performance.now() - start;
          if (ms < best) {
            best = ms;
            kept = { ms, decoderMs: result.timingsMs.decoder, previewMs: result.timingsMs.preview ?? 0, previews };
          }
        }
        results[name] = kept;
      }
      const stepMs = results.none.decoderMs / STEPS;
      for (const [name, r] of Object.entries(results)) {
        if (name === 'none') continue;
        const perPreview = r.previewMs / r.previews;
        report({
          name: `previews.${name}`,
          backend: tf.getBackend(),
          model: 'random-small (npm start)',
          size: `${size}x${size}`,
          decoder_steps: STEPS,
          previews: r.previews,
          ms_per_image_without: Math.round(results.none.ms),
          ms_per_image_with: Math.round(r.ms),
          overhead_pct: Math.round(((r.ms - results.none.ms) / results.none.ms) * 1000) / 10,
          ms_per_preview: Math.round(perPreview * 10) / 10,
          decoder_step_ms: Math.round(stepMs * 10) / 10,
          preview_in_decoder_steps: Math.round((perPreview / stepMs) * 100) / 100,
          note: `best of ${REPEATS}; a preview is a MoVQ decode + encode of one image, uploads not included`,
        });
      }
    }
  });
}

await main();
