import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../../test/helpers/backend.js';
import type { GenerationRequest } from '../pipelines/generation-request.js';
import { GenerationCancelledError, PipelineParamError } from '../pipelines/pipeline-errors.js';
import type { ProgressEvent } from '../pipelines/progress.js';
import { currentBackend } from '../tf/backend.js';
import type { ImageGenerator } from './image-generator.js';
import { createKandinskyGenerator } from './kandinsky-generator.js';
import { silentLogger } from './logger.js';
import { buildRandomModel } from './random-model/build-random-model.js';

const dir = await mkdtemp(join(tmpdir(), 'kd-generator-'));
let generator: ImageGenerator;

beforeAll(async () => {
  await useTestBackend();
  const model = await buildRandomModel(join(dir, 'model'));
  generator = await createKandinskyGenerator(model.dir, { log: silentLogger, backend: currentBackend()! });
});
afterAll(async () => {
  generator?.dispose();
  await rm(dir, { recursive: true, force: true });
});

function png(width: number, height: number, value: number): Uint8Array {
  const image = new PNG({ width, height });
  image.data.fill(value);
  return new Uint8Array(PNG.sync.write(image));
}

const base = {
  n: 1,
  width: 64,
  height: 64,
  seed: 5,
  steps: 3,
  guidance_scale: 4,
  prior_steps: 2,
  prior_guidance_scale: 4,
  scheduler: 'ddim',
  output_format: 'png',
} as const;

/** A job's request as the worker hands it over: resolved parameters, input images as bytes. */
const request = (task: GenerationRequest['task'], params: Record<string, unknown>) =>
  ({ task, params: { ...base, ...params } }) as GenerationRequest;

describe('the Kandinsky generator on the random-weight model', () => {
  it('says the weights are random', () => {
    expect(generator.description).toMatch(/RANDOM weights/);
  });

  const cases: [GenerationRequest['task'], Record<string, unknown>][] = [
    ['text2image', { prompt: 'a cat' }],
    ['variation', { image: png(40, 30, 120) }],
    [
      'fuse',
      {
        inputs: [
          { type: 'text', text: 'a dog', weight: 0.5 },
          { type: 'image', image: png(32, 32, 60), weight: 0.5 },
        ],
      },
    ],
    ['img2img', { prompt: 'a cat', image: png(64, 64, 200), strength: 0.7 }],
    ['inpaint', { prompt: 'a hat', image: png(64, 64, 200), mask: png(64, 64, 255) }],
  ];
  for (const [task, extra] of cases) {
    it(`${task}: one PNG of the requested size, with ordered progress`, async () => {
      const progress: ProgressEvent[] = [];
      const {
        images: [[image]],
        timingsMs,
      } = await generator.generate([await generator.prepare(request(task, extra))], {
        onProgress: (p) => progress.push(p),
      });
      // The run's stages are timed (the service reports them as the job's metrics).
      for (const stage of ['encode', 'decoder', 'movq', 'total']) expect(timingsMs[stage]).toBeGreaterThan(0);
      expect(image.contentType).toBe('image/png');
      const decoded = PNG.sync.read(Buffer.from(image.bytes));
      expect([decoded.width, decoded.height, image.width, image.height]).toEqual([64, 64, 64, 64]);
      const decoder = progress.filter((p) => p.stage === 'decoder').map((p) => p.step);
      expect(decoder).toEqual([...decoder].sort((a, b) => a - b));
      expect(decoder.at(-1)).toBe(progress.find((p) => p.stage === 'decoder')!.totalSteps);
      expect(image.seed).toBe(base.seed);
    });
  }

  it('runs a text2image batch as one pass that gives each job the images it gets alone, in order', async () => {
    const requests = [
      await generator.prepare(request('text2image', { prompt: 'one', n: 2 })),
      await generator.prepare(request('text2image', { prompt: 'two', seed: 9 })),
    ];
    const progress: ProgressEvent[] = [];
    const { images: together } = await generator.generate(requests, { onProgress: (p) => progress.push(p) });
    expect(together.map((images) => images.length)).toEqual([2, 1]);
    // One pass: the decoder's steps are reported once for the batch, not once per job.
    expect(progress.filter((p) => p.stage === 'decoder').map((p) => p.step)).toEqual([1, 2, 3]);
    for (const [j, request] of requests.entries()) {
      const {
        images: [alone],
      } = await generator.generate([request]);
      for (const [i, image] of alone.entries()) {
        const a = PNG.sync.read(Buffer.from(image.bytes)).data;
        const b = PNG.sync.read(Buffer.from(together[j][i].bytes)).data;
        expect(a.equals(b), `job ${j} image ${i}`).toBe(true);
      }
    }
  });

  it('gives prepared requests of different shapes different batch keys, and refuses to run them as one pass', async () => {
    const one = await generator.prepare(request('text2image', { prompt: 'one' }));
    const two = await generator.prepare(request('text2image', { prompt: 'two', steps: 4 }));
    expect(one.batchKey).not.toBe(two.batchKey);
    await expect(generator.generate([one, two])).rejects.toThrow(/steps/);
    // A negative prompt given ("") and none differ in shape too (the prior runs extra rows for it).
    const empty = await generator.prepare(request('text2image', { prompt: 'three', negative_prompt: '' }));
    expect(empty.batchKey).not.toBe(one.batchKey);
  });

  it('inpaint with an OpenAI alpha mask paints what the equivalent white mask paints; a mask without alpha is refused', async () => {
    const square = (x: number, y: number) => x >= 16 && x < 48 && y >= 8 && y < 40;
    const mask = (kind: 'alpha' | 'luma') => {
      const image = new PNG({ width: 64, height: 64 });
      for (let y = 0; y < 64; y++) {
        for (let x = 0; x < 64; x++) {
          const at = (y * 64 + x) * 4;
          // alpha: transparent = repaint, the colour is irrelevant; luma: white = repaint, opaque everywhere.
          image.data.set(
            kind === 'alpha'
              ? [90, 30, 200, square(x, y) ? 0 : 255]
              : square(x, y)
                ? [255, 255, 255, 255]
                : [0, 0, 0, 255],
            at,
          );
        }
      }
      return new Uint8Array(PNG.sync.write(image));
    };
    const run = async (kind: 'alpha' | 'luma') => {
      const prepared = await generator.prepare(
        request('inpaint', { prompt: 'a hat', image: png(64, 64, 120), mask: mask(kind), mask_source: kind }),
      );
      const {
        images: [[image]],
      } = await generator.generate([prepared]);
      return PNG.sync.read(Buffer.from(image.bytes)).data;
    };
    expect((await run('alpha')).equals(await run('luma'))).toBe(true);
    const opaque = await generator
      .prepare(request('inpaint', { prompt: 'x', image: png(64, 64, 1), mask: mask('luma'), mask_source: 'alpha' }))
      .catch((err) => err);
    // PNG.sync.write writes RGBA: an opaque RGBA mask has an alpha channel, so it is read (nothing to repaint).
    expect(opaque).not.toBeInstanceOf(Error);
    const rgb = new PNG({ width: 64, height: 64, colorType: 2, inputHasAlpha: false } as never);
    rgb.data = Buffer.alloc(64 * 64 * 3, 255);
    const noAlpha = new Uint8Array(PNG.sync.write(rgb, { colorType: 2, inputHasAlpha: false } as never));
    const refused = await generator
      .prepare(request('inpaint', { prompt: 'x', image: png(64, 64, 1), mask: noAlpha, mask_source: 'alpha' }))
      .catch((err) => err);
    expect(refused).toBeInstanceOf(PipelineParamError);
    expect(refused).toMatchObject({ param: 'mask', code: 'invalid_request' });
    expect(refused.message).toMatch(/missing alpha channel/);
  });

  it('refuses an unreadable image in prepare (invalid_image, before any compute) and stops on abort', async () => {
    const refused = await generator
      .prepare(request('img2img', { prompt: 'x', image: new Uint8Array([1, 2, 3]), strength: 0.5 }))
      .catch((err) => err);
    expect(refused).toBeInstanceOf(PipelineParamError);
    expect(refused).toMatchObject({ param: 'image', code: 'invalid_image' });
    const abort = new AbortController();
    const run = generator.generate([await generator.prepare(request('text2image', { prompt: 'long', steps: 50 }))], {
      signal: abort.signal,
      onProgress: (p) => {
        if (p.stage === 'decoder' && p.step === 2) abort.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(GenerationCancelledError);
  });
});
