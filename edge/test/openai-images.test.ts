import { previewKey } from '@kandinsky/protocol';
import { assemblePng, pngScanlineData, zlibStored } from '@kandinsky/protocol/image-bytes/testing';
import OpenAI, { toFile } from 'openai';
import { describe, expect, it } from 'vitest';
import { completeWithPngs, type Leased, lease, testStore } from './fake-runner';
import { call, createKey, expectError, openAiClient, runnerCall, tinyPng } from './helpers';

/**
 * The OpenAI Images API beyond generations: edits (img2img, inpaint with OpenAI's alpha mask, fuse), variations,
 * streaming with partial images, all through the one contract. A fake runner answers the jobs.
 */

/** An RGBA PNG whose alpha is `alpha(x, y)` (8-bit), written without an encoder library. */
function rgbaPng(width: number, height: number, alpha: (x: number, y: number) => number): Uint8Array {
  const samples: number[] = [];
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) samples.push(x * 3, y * 3, 90, alpha(x, y));
  const spec = { width, height, bitDepth: 8, colorType: 6, interlace: 0, samples };
  return assemblePng(spec, zlibStored(pngScanlineData(spec)));
}

/** A transparent square in the middle: the area OpenAI's convention repaints. */
const holeMask = (size = 64) =>
  rgbaPng(size, size, (x, y) => (x >= size / 4 && x < (3 * size) / 4 && y >= size / 4 && y < (3 * size) / 4 ? 0 : 255));

/** POSTs a multipart form to an images endpoint. */
async function postForm(
  path: string,
  key: string,
  fields: Record<string, string>,
  files: [string, Uint8Array][] = [],
): Promise<Response> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  for (const [name, bytes] of files) form.append(name, new Blob([bytes], { type: 'image/png' }), `${name}.png`);
  return call(path, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form });
}

/** Runs the next job like a runner: optionally stores previews (reported by heartbeat), then the final PNGs. */
async function answerOneJob(previews: number[] = []): Promise<{ leased: Leased; png: Uint8Array }> {
  const leased = await lease(10_000);
  if (!leased) throw new Error('no job arrived');
  const done: number[] = [];
  for (const step of previews) {
    const png = await tinyPng(64 + step, 64);
    for (let i = 0; i < leased.job.params.n; i++) {
      await testStore().put(previewKey(leased.job.output.prefix, step, i, 'png'), png, 'image/png');
    }
    done.push(step);
    await runnerCall(`/v1/runner/jobs/${leased.job.id}/heartbeat`, {
      lease_id: leased.lease.id,
      progress: { stage: 'decoder', step, total_steps: 3, previews: done },
    });
  }
  const { response, png } = await completeWithPngs(leased);
  if (response.status !== 200) throw new Error(`complete failed: ${response.status} ${await response.text()}`);
  return { leased, png };
}

const decodeB64 = (text: string) => Uint8Array.from(atob(text), (char) => char.charCodeAt(0));

describe('images.edit and images.createVariation (official client, fake runner)', () => {
  it('edit without a mask is img2img; with a mask it is inpaint with the alpha convention; URL and b64_json', async () => {
    const key = await createKey();
    const image = await tinyPng(64, 64);
    const openai = openAiClient(key.key);
    const [plain, ran] = await Promise.all([
      openai.images.edit({
        image: await toFile(image, 'photo.png', { type: 'image/png' }),
        prompt: 'as a watercolor',
        size: '64x64' as never,
        ...({ strength: 0.6, steps: 10, seed: 5 } as object),
      }),
      answerOneJob(),
    ]);
    expect(ran.leased.job.task).toBe('img2img');
    expect(ran.leased.job.params).toMatchObject({ prompt: 'as a watercolor', strength: 0.6, steps: 10, seed: 5 });
    expect((await fetch(plain.data![0].url!)).status).toBe(200);

    const [masked, ranMasked] = await Promise.all([
      openai.images.edit({
        image: await toFile(image, 'photo.png', { type: 'image/png' }),
        mask: await toFile(holeMask(), 'mask.png', { type: 'image/png' }),
        prompt: 'a hat',
        size: '64x64' as never,
        response_format: 'b64_json',
      }),
      answerOneJob(),
    ]);
    expect(ranMasked.leased.job.task).toBe('inpaint');
    expect(ranMasked.leased.job.params).toMatchObject({ prompt: 'a hat', mask_source: 'alpha', width: 64 });
    expect(decodeB64(masked.data![0].b64_json!)).toEqual(ranMasked.png);
  });

  it('several images without a mask fuse the prompt with them; a variation takes one image', async () => {
    const key = await createKey();
    const openai = openAiClient(key.key);
    const files = await Promise.all([1, 2].map(async (i) => toFile(await tinyPng(32 * i, 64), `${i}.png`)));
    const [, fused] = await Promise.all([openai.images.edit({ image: files, prompt: 'together' }), answerOneJob()]);
    expect(fused.leased.job.task).toBe('fuse');
    const inputs = fused.leased.job.params.inputs as { type: string; text?: string; weight: number }[];
    expect(inputs.map((input) => input.type)).toEqual(['text', 'image', 'image']);
    expect(inputs[0]).toEqual({ type: 'text', text: 'together', weight: 1 });

    const [variation, ran] = await Promise.all([
      openai.images.createVariation({
        image: await toFile(await tinyPng(64, 64), 'v.png'),
        n: 2,
        size: '64x64' as never,
        response_format: 'b64_json',
        ...({ seed: 9, steps: 4 } as object),
      }),
      answerOneJob(),
    ]);
    expect(ran.leased.job.task).toBe('variation');
    expect(ran.leased.job.params).toMatchObject({ n: 2, seed: 9, steps: 4, width: 64, height: 64 });
    expect(variation.data).toHaveLength(2);
  });

  it('images.generate with stream: true and partial_images: 2 yields two partial images, then the final one', async () => {
    const key = await createKey();
    const stream = await openAiClient(key.key).images.generate({
      prompt: 'a lighthouse',
      size: '64x64' as never,
      stream: true,
      partial_images: 2,
      ...({ steps: 3 } as object),
    });
    const runner = answerOneJob([1, 2]);
    const events = [];
    for await (const event of stream) events.push(event);
    const { leased, png } = await runner;
    expect(leased.job.params.preview_steps).toEqual([1, 2]);
    expect(events.map((event) => event.type)).toEqual([
      'image_generation.partial_image',
      'image_generation.partial_image',
      'image_generation.completed',
    ]);
    expect(events.map((event) => ('partial_image_index' in event ? event.partial_image_index : null))).toEqual([
      0,
      1,
      null,
    ]);
    // Each partial image is the preview the runner stored for that step; the last event is the result.
    expect(decodeB64(events[0].b64_json)).toEqual(await tinyPng(65, 64));
    expect(decodeB64(events[1].b64_json)).toEqual(await tinyPng(66, 64));
    expect(decodeB64(events[2].b64_json)).toEqual(png);
    expect(events[2]).toMatchObject({ size: '64x64', output_format: 'png' });
  });

  it('images.edit with stream: true sends the image_edit pair; a failed job ends the stream with an APIError', async () => {
    const key = await createKey();
    const openai = openAiClient(key.key);
    const stream = await openai.images.edit({
      image: await toFile(await tinyPng(64, 64), 'photo.png'),
      prompt: 'sketch',
      stream: true,
      partial_images: 1,
      ...({ steps: 4, strength: 1 } as object),
    });
    const runner = answerOneJob([2]);
    const types = [];
    for await (const event of stream) types.push(event.type);
    await runner;
    expect(types).toEqual(['image_edit.partial_image', 'image_edit.completed']);

    const failing = await openai.images.generate({ prompt: 'x', stream: true, size: '64x64' as never });
    const leased = (await lease(10_000))!;
    await runnerCall(`/v1/runner/jobs/${leased.job.id}/fail`, {
      lease_id: leased.lease.id,
      error: { code: 'invalid_image', message: 'unreadable' },
      retryable: false,
    });
    const error = await (async () => {
      for await (const _ of failing);
    })().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('invalid_image');
  });
});

describe('multipart forms with bad input (raw HTTP): 400 with the OpenAI error shape, never a 5xx', () => {
  it('refuses each bad form naming the field', async () => {
    const key = await createKey();
    const image = await tinyPng(64, 64);
    const opaque = await tinyPng(64, 64); // grey PNG: no alpha channel at all
    const cases: [string, Record<string, string>, [string, Uint8Array][], string | null, string][] = [
      ['/v1/images/edits', { prompt: 'x' }, [], 'image', 'missing_required_parameter'],
      ['/v1/images/edits', { prompt: 'x' }, [['mask', holeMask()]], 'image', 'missing_required_parameter'],
      ['/v1/images/edits', {}, [['image', image]], 'prompt', 'missing_required_parameter'],
      [
        '/v1/images/edits',
        { prompt: 'x' },
        [
          ['image', image],
          ['mask', holeMask(32)],
        ],
        'mask',
        'mask_size_mismatch',
      ],
      [
        '/v1/images/edits',
        { prompt: 'x' },
        [
          ['image', image],
          ['mask', opaque],
        ],
        'mask',
        'invalid_mask_image_format',
      ],
      ['/v1/images/edits', { prompt: 'x', n: 'two' }, [['image', image]], 'n', 'invalid_type'],
      ['/v1/images/edits', { prompt: 'x', n: '9' }, [['image', image]], 'n', 'invalid_value'],
      ['/v1/images/edits', { prompt: 'x', stream: 'yes' }, [['image', image]], 'stream', 'invalid_type'],
      ['/v1/images/edits', { prompt: 'x', partial_images: '2' }, [['image', image]], 'partial_images', 'invalid_value'],
      ['/v1/images/edits', { prompt: 'x', image: 'https://x/y.png' }, [], 'image', 'invalid_type'],
      ['/v1/images/edits', { prompt: 'x', quality: 'hd' }, [['image', image]], 'quality', 'unknown_parameter'],
      [
        '/v1/images/edits',
        { prompt: 'x', strength: '0.5' },
        [
          ['image', image],
          ['mask', holeMask()],
        ],
        'strength',
        'unknown_parameter',
      ],
      [
        '/v1/images/edits',
        { prompt: 'x', steps: '2', strength: '0.3' },
        [['image', image]],
        'strength',
        'invalid_value',
      ],
      [
        '/v1/images/edits',
        { prompt: 'x' },
        [
          ['image', image],
          ['image', image],
          ['mask', holeMask()],
        ],
        'mask',
        'invalid_value',
      ],
      ['/v1/images/edits', { prompt: 'x' }, [['image', new Uint8Array([1, 2, 3])]], 'image', 'invalid_image_format'],
      [
        '/v1/images/edits',
        { prompt: 'x' },
        [['image', new Uint8Array(8 * 1024 * 1024 + 1)]],
        'image',
        'image_too_large',
      ],
      [
        '/v1/images/edits',
        { prompt: 'x' },
        [
          ['image', image],
          ['photo', image],
        ],
        'photo',
        'unknown_parameter',
      ],
      ['/v1/images/variations', {}, [], 'image', 'missing_required_parameter'],
      [
        '/v1/images/variations',
        {},
        [
          ['image', image],
          ['image', image],
        ],
        'image',
        'invalid_value',
      ],
      ['/v1/images/variations', { prompt: 'x' }, [['image', image]], 'prompt', 'unknown_parameter'],
      ['/v1/images/variations', { size: '2000x64' }, [['image', image]], 'size', 'invalid_value'],
      ['/v1/images/variations', {}, [['image', await tinyPng(8, 8)]], 'image', 'invalid_image_dimensions'],
    ];
    for (const [path, fields, files, param, code] of cases) {
      const error = await expectError(await postForm(path, key.key, fields, files), 400);
      expect({ path, param: error.param, code: error.code, fields }).toEqual({ path, param, code, fields });
      expect(error.type).toBe('invalid_request_error');
    }
    const noAlpha = await expectError(
      await postForm('/v1/images/edits', key.key, { prompt: 'x' }, [
        ['image', image],
        ['mask', opaque],
      ]),
      400,
    );
    expect(noAlpha.message).toMatch(/^Invalid mask image format - mask image missing alpha channel/);
  });

  it('refuses a JSON body (415) and an unreadable multipart body (400)', async () => {
    const key = await createKey();
    const json = await call('/v1/images/edits', {
      method: 'POST',
      headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'x' }),
    });
    await expectError(json, 415);
    const broken = await call('/v1/images/variations', {
      method: 'POST',
      headers: { authorization: `Bearer ${key.key}`, 'content-type': 'multipart/form-data; boundary=zz' },
      body: '--zz\r\nnot a part',
    });
    expect((await expectError(broken, 400)).code).toBe('invalid_multipart');
  });
});
