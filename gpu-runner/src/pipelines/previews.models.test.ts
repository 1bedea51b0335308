import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { useTestBackend } from '../../test/helpers/backend.js';
import { buildTinyModelFolder } from '../../test/helpers/tiny-model-folder.js';
import { encodeImage, imageTensorToRasters } from '../image/index.js';
import { type LoadedComponent, loadComponent } from '../models/load-component.js';
import type { Scheduler } from '../schedulers/scheduler.js';
import type { GenerationParams } from './generation-request.js';
import { type GeneratedPreview, KandinskyPipelines } from './kandinsky-pipelines.js';
import { movqFrom } from './model-adapters.js';

/**
 * Previews on the tiny converted models: each preview is MoVQ's decode of that step's predicted clean latents (the
 * scheduler's own `pred_original_sample`, recorded by wrapping every decoder scheduler the pipelines create), and
 * asking for previews leaves the final image byte for byte the same.
 */
const recorded = vi.hoisted(() => ({ steps: [] as { scheduler: string; index: number; x0: unknown }[] }));

vi.mock('../schedulers/create-scheduler.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../schedulers/create-scheduler.js')>();
  return {
    ...original,
    createScheduler: (...args: Parameters<typeof original.createScheduler>) => {
      const scheduler = original.createScheduler(...args);
      if (scheduler.name === 'unclip') return scheduler;
      // Record a copy of every decoder step's predicted clean latents; the step itself is untouched.
      const step = (input: Parameters<Scheduler['step']>[0]) => {
        const out = scheduler.step(input);
        recorded.steps.push({
          scheduler: scheduler.name,
          index: input.index,
          x0: tf.keep(out.predOriginalSample.clone()),
        });
        return out;
      };
      return new Proxy(scheduler, {
        get: (target, prop) => {
          if (prop === 'step') return step;
          const value = Reflect.get(target, prop, target);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    },
  };
});

let folder: { root: string; cleanup(): Promise<void> };
let pipelines: KandinskyPipelines;
let movq: LoadedComponent;
let image64: Uint8Array;

beforeAll(async () => {
  await useTestBackend();
  folder = await buildTinyModelFolder();
  pipelines = await KandinskyPipelines.load(folder.root);
  movq = await loadComponent(join(folder.root, 'movq'));
  const data = new Uint8Array(64 * 64 * 3).map((_, i) => (i * 7) % 256);
  image64 = await encodeImage({ width: 64, height: 64, channels: 3, data }, 'png');
});
afterAll(async () => {
  pipelines?.dispose();
  movq?.dispose();
  await folder?.cleanup();
});

const quick = (over: Partial<GenerationParams> = {}): GenerationParams => ({
  task: 'text2image',
  prompt: 'a red cat, 4k photo',
  width: 64,
  height: 64,
  seed: 3,
  steps: 4,
  prior_steps: 2,
  ...over,
});

/** MoVQ's decode of `latents`, turned into pixels and encoded exactly as final images are (no metadata). */
async function decodeDirectly(latents: tf.Tensor4D, format: 'png' | 'jpeg' | 'webp'): Promise<Uint8Array[]> {
  const decoded = movqFrom(movq).decode(latents);
  const rasters = await imageTensorToRasters(decoded);
  decoded.dispose();
  return Promise.all(rasters.map((raster) => encodeImage(raster, format)));
}

async function runWithPreviews(params: GenerationParams) {
  for (const step of recorded.steps) (step.x0 as tf.Tensor).dispose();
  recorded.steps.length = 0;
  const previews: GeneratedPreview[] = [];
  const result = await pipelines.generate(params, { onPreview: (preview) => void previews.push(preview) });
  return { result, previews, steps: [...recorded.steps] };
}

describe('previews', () => {
  const cases: [string, Partial<GenerationParams>, number[]][] = [
    ['text2image, DDIM', { preview_every: 1 }, [1, 2, 3]],
    ['text2image, DDPM (stochastic steps)', { scheduler: 'ddpm', partial_images: 2 }, [1, 3]],
    ['text2image, DPM-Solver++ (multistep history), n = 2', { scheduler: 'dpmpp_2m', n: 2, preview_every: 2 }, [2]],
    [
      'img2img (runs the last 3 of 6 steps)',
      { task: 'img2img', image: new Uint8Array(), strength: 0.5, steps: 6, preview_every: 1 },
      [1, 2],
    ],
    [
      'inpaint, JPEG output',
      { task: 'inpaint', image: new Uint8Array(), mask: new Uint8Array(), output_format: 'jpeg', partial_images: 1 },
      [2],
    ],
  ];
  for (const [name, over, expectedSteps] of cases) {
    it(`${name}: each preview is the decode of its step's pred_original_sample; the final image is unchanged`, async () => {
      const withImages: Partial<GenerationParams> = {
        ...over,
        ...(over.image ? { image: image64 } : {}),
        ...(over.mask ? { mask: image64 } : {}),
      };
      const { preview_every: _e, partial_images: _p, ...plain } = withImages;
      const without = await pipelines.generate(quick(plain));
      const { result, previews, steps } = await runWithPreviews(quick(withImages));

      // Byte for byte the same final images (metadata included: preview steps are not recorded in it).
      expect(result.images.map((image) => Buffer.from(image.bytes).toString('base64'))).toEqual(
        without.images.map((image) => Buffer.from(image.bytes).toString('base64')),
      );
      expect(previews.map((preview) => preview.step)).toEqual(expectedSteps);
      const stepsRun = steps.length;
      const firstIndex = steps[0].index;
      for (const preview of previews) {
        expect(preview.totalSteps).toBe(stepsRun);
        expect(preview.images).toHaveLength(result.images.length);
        // The scheduler's own x0 at that step (index relative to the first step the run took), decoded directly.
        const x0 = steps.find((s) => s.index - firstIndex + 1 === preview.step)!.x0 as tf.Tensor4D;
        const direct = await decodeDirectly(x0, (withImages.output_format ?? 'png') as 'png');
        for (const [i, image] of preview.images.entries()) {
          expect(Buffer.from(image.bytes).equals(Buffer.from(direct[i])), `step ${preview.step} image ${i}`).toBe(true);
          expect([image.width, image.height, image.seed]).toEqual([64, 64, result.images[i].seed]);
          expect(image.contentType).toBe(result.images[i].contentType);
        }
        // A preview is not the final image (the run was not over yet).
        expect(Buffer.from(preview.images[0].bytes).equals(Buffer.from(result.images[0].bytes))).toBe(false);
      }
      expect(result.timingsMs.preview).toBeGreaterThan(0);
    });
  }

  it('without an onPreview listener, preview steps cost nothing: no preview is decoded', async () => {
    const result = await pipelines.generate(quick({ preview_every: 1 }));
    expect(result.timingsMs.preview).toBeUndefined();
  });

  it('a batch gives each request its own previews, equal to its previews alone', async () => {
    const [a, b] = [
      quick({ prompt: 'one', n: 2, preview_every: 2 }),
      quick({ prompt: 'two', seed: 9, preview_every: 2 }),
    ];
    const previews: GeneratedPreview[] = [];
    await pipelines.generateMany([a, b], { onPreview: (preview) => void previews.push(preview) });
    expect(previews.map((p) => [p.request, p.step, p.images.length])).toEqual([
      [0, 2, 2],
      [1, 2, 1],
    ]);
    for (const [r, params] of [a, b].entries()) {
      const alone = await runWithPreviews(params);
      const together = previews.find((p) => p.request === r)!;
      expect(alone.previews[0].images.map((i) => Buffer.from(i.bytes).toString('base64'))).toEqual(
        together.images.map((i) => Buffer.from(i.bytes).toString('base64')),
      );
    }
  });
});
