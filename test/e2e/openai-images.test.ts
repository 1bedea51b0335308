import OpenAI, { toFile } from 'openai';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, fetchPng } from '../support/api.js';
import { pngBytes } from '../support/sample-images.js';
import { startTestStack } from '../support/stack-fixture.js';

/**
 * The whole OpenAI Images API with the official `openai` client against the local stack: the edge under wrangler
 * dev, a real runner on the small random-weight model, a SigV4 S3 server. Streaming with partial images (the runner's
 * previews), edits with and without a mask, variations; every image a decodable PNG of the requested size.
 */
let stack: Awaited<ReturnType<typeof startTestStack>>;
let openai: OpenAI;
/** Kandinsky fields the client passes through as extra body (few steps keep the tests fast). */
const FAST = { steps: 3, prior_steps: 2 } as object;

beforeAll(async () => {
  stack = await startTestStack();
  openai = new OpenAI({ apiKey: stack.apiKey, baseURL: `${stack.edgeUrl}/v1`, maxRetries: 0, timeout: 180_000 });
});
afterAll(async () => stack?.cleanup());

function decodePng(b64: string): PNG {
  return PNG.sync.read(Buffer.from(b64, 'base64'));
}

/** An RGBA mask: fully transparent (repaint) in a square, opaque elsewhere, as OpenAI's edits take it. */
function alphaMask(size: number): Uint8Array {
  const png = new PNG({ width: size, height: size });
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const hole = x >= size / 4 && x < (3 * size) / 4 && y >= size / 4 && y < (3 * size) / 4;
      png.data.set([255, 255, 255, hole ? 0 : 255], (y * size + x) * 4);
    }
  }
  return new Uint8Array(PNG.sync.write(png));
}

describe('the official openai client against the local stack', () => {
  it('images.generate with stream: true and partial_images: 2 yields two partial images, then the final one', async () => {
    const stream = await openai.images.generate({
      prompt: 'a lighthouse at dusk',
      size: '64x64' as never,
      stream: true,
      partial_images: 2,
      ...FAST,
    });
    const events = [];
    for await (const event of stream) events.push(event);
    expect(events.map((event) => event.type)).toEqual([
      'image_generation.partial_image',
      'image_generation.partial_image',
      'image_generation.completed',
    ]);
    const images = events.map((event) => decodePng(event.b64_json));
    for (const png of images) expect([png.width, png.height]).toEqual([64, 64]);
    // The partials are the picture forming (steps 1 and 2 of 3), not copies of the result.
    expect(images[0].data.equals(images[2].data)).toBe(false);
    expect(images[1].data.equals(images[2].data)).toBe(false);
  });

  it('images.edit without a mask (img2img) and with an alpha mask (inpaint): PNGs of the requested size', async () => {
    const image = await toFile(pngBytes(64, 64, 7), 'photo.png', { type: 'image/png' });
    const byUrl = await openai.images.edit({
      image,
      prompt: 'as a watercolor',
      size: '64x64' as never,
      ...({ ...FAST, steps: 4, strength: 0.5 } as object),
    });
    await fetchPng(byUrl.data![0].url!, 64, 64);
    const masked = await openai.images.edit({
      image: await toFile(pngBytes(64, 64, 7), 'photo.png', { type: 'image/png' }),
      mask: await toFile(alphaMask(64), 'mask.png', { type: 'image/png' }),
      prompt: 'a red hat',
      size: '64x64' as never,
      response_format: 'b64_json',
      n: 2,
      ...FAST,
    });
    expect(masked.data).toHaveLength(2);
    for (const item of masked.data!)
      expect([decodePng(item.b64_json!).width, decodePng(item.b64_json!).height]).toEqual([64, 64]);
  });

  it('images.createVariation: PNGs of the requested size, by URL and as b64_json', async () => {
    const byUrl = await openai.images.createVariation({
      image: await toFile(pngBytes(96, 64, 3), 'v.png', { type: 'image/png' }),
      size: '64x64' as never,
      ...FAST,
    });
    await fetchPng(byUrl.data![0].url!, 64, 64);
    const inline = await openai.images.createVariation({
      image: await toFile(pngBytes(64, 64, 3), 'v.png', { type: 'image/png' }),
      size: '128x64' as never,
      response_format: 'b64_json',
      ...FAST,
    });
    const png = decodePng(inline.data![0].b64_json!);
    expect([png.width, png.height]).toEqual([128, 64]);
  });

  it('a mask without an alpha channel is refused up front with OpenAI words, as a BadRequestError', async () => {
    const opaque = new PNG({ width: 64, height: 64, colorType: 2, inputHasAlpha: false } as never);
    opaque.data = Buffer.alloc(64 * 64 * 3, 255);
    const error = await openai.images
      .edit({
        image: await toFile(pngBytes(64, 64), 'photo.png', { type: 'image/png' }),
        mask: await toFile(PNG.sync.write(opaque, { colorType: 2, inputHasAlpha: false } as never), 'mask.png'),
        prompt: 'x',
      })
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).message).toMatch(/mask image missing alpha channel/);
  });

  it('a finished job carries its metrics: queue wait, stages, predict time', async () => {
    const api = new Api(stack.edgeUrl, stack.apiKey);
    const job = await api.waitForJob(
      (
        await api.createJob('text2image', {
          prompt: 'timed',
          size: '64x64',
          steps: 3,
          prior_steps: 2,
          preview_every: 1,
        })
      ).id,
    );
    const { metrics, previews } = job as unknown as {
      metrics: { queue_wait_ms: number; predict_ms: number; total_ms: number; stages_ms: Record<string, number> };
      previews: number[];
    };
    expect(previews).toEqual([1, 2]);
    expect(metrics.queue_wait_ms).toBeGreaterThanOrEqual(0);
    expect(metrics.predict_ms).toBeGreaterThan(0);
    expect(metrics.total_ms).toBeGreaterThanOrEqual(metrics.predict_ms);
    for (const stage of ['encode', 'prior', 'decoder', 'movq', 'preview', 'upload']) {
      expect(metrics.stages_ms[stage], stage).toBeGreaterThanOrEqual(0);
    }
  });
});
