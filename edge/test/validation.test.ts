import { assemblePng } from '@kandinsky/protocol/image-bytes/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { toBase64 } from '../src/lib/crypto';
import { call, callJson, createKey, expectError, runnerCall, type TestKey, tinyPng } from './helpers';

let key: TestKey;
beforeAll(async () => {
  key = await createKey();
});

const text2image = (input: Record<string, unknown>) => ({
  task: 'text2image',
  input: { prompt: 'a red fox', ...input },
});

describe('POST /v1/jobs validation', () => {
  it('refuses bad JSON, non-object JSON and a wrong content type', async () => {
    expect((await expectError(await callJson('/v1/jobs', key.key, '{"task": '), 400)).code).toBe('invalid_json');
    expect((await expectError(await callJson('/v1/jobs', key.key, '[1,2]'), 400)).code).toBe('invalid_json');
    const textPlain = await call('/v1/jobs', {
      method: 'POST',
      headers: { authorization: `Bearer ${key.key}`, 'content-type': 'text/plain' },
      body: '{}',
    });
    expect((await expectError(textPlain, 415)).code).toBe('unsupported_media_type');
  });

  it.each([
    ['wrong type', text2image({ steps: 'many' }), 'input.steps'],
    ['float where int', text2image({ n: 1.5 }), 'input.n'],
    ['n too large', text2image({ n: 5 }), 'input.n'],
    ['steps out of range', text2image({ steps: 0 }), 'input.steps'],
    ['guidance out of range', text2image({ guidance_scale: 100 }), 'input.guidance_scale'],
    ['negative seed', text2image({ seed: -1 }), 'input.seed'],
    ['seed above uint32', text2image({ seed: 2 ** 32 }), 'input.seed'],
    ['bad scheduler', text2image({ scheduler: 'euler' }), 'input.scheduler'],
    ['bad size format', text2image({ size: 'big' }), 'input.size'],
    ['size too large', text2image({ size: '2048x2048' }), 'input.size'],
    ['width too small', text2image({ width: 32 }), 'input.width'],
    ['size and width', text2image({ size: '512x512', width: 512 }), 'input.size'],
    ['empty prompt', text2image({ prompt: '   ' }), 'input.prompt'],
    ['unknown input field', text2image({ sampler: 'x' }), 'input.sampler'],
    ['unknown top-level field', { ...text2image({}), priority: 1 }, 'priority'],
    ['unknown task', { task: 'upscale', input: { prompt: 'x' } }, 'task'],
    ['missing prompt', { task: 'text2image', input: {} }, 'input.prompt'],
    ['img2img strength 0', { task: 'img2img', input: { prompt: 'x', image: 'AAAA', strength: 0 } }, 'input.strength'],
    [
      'fuse with one input',
      { task: 'fuse', input: { inputs: [{ type: 'text', text: 'a', weight: 1 }] } },
      'input.inputs',
    ],
    [
      'private webhook in dev is allowed but ftp is not',
      { ...text2image({}), webhook_url: 'ftp://example.com' },
      'webhook_url',
    ],
  ])('%s -> 400 naming the field', async (_name, body, param) => {
    const error = await expectError(await callJson('/v1/jobs', key.key, body), 400);
    expect(error.param).toBe(param);
    expect(error.type).toBe('invalid_request_error');
  });

  it('refuses oversize bodies with 413, declared or streamed', async () => {
    const huge = JSON.stringify(text2image({ negative_prompt: 'x'.repeat(33 * 1024 * 1024) }));
    expect((await expectError(await callJson('/v1/jobs', key.key, huge), 413)).code).toBe('request_too_large');
    const stream = new Blob([huge]).stream();
    const chunked = await call('/v1/jobs', {
      method: 'POST',
      headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
      body: stream,
      // @ts-expect-error duplex is required for streamed bodies
      duplex: 'half',
    });
    expect((await expectError(chunked, 413)).code).toBe('request_too_large');
  });

  it('refuses bad images: not base64, not an image, wrong format, too small, mask size mismatch', async () => {
    const variation = (image: string) => ({ task: 'variation', input: { image } });
    expect((await expectError(await callJson('/v1/jobs', key.key, variation('***')), 400)).code).toBe('invalid_image');
    const gif = toBase64(new TextEncoder().encode('GIF89a-not-a-supported-format-at-all'));
    expect((await expectError(await callJson('/v1/jobs', key.key, variation(gif)), 400)).code).toBe(
      'invalid_image_format',
    );
    const tiny = toBase64(await tinyPng(8, 8));
    expect((await expectError(await callJson('/v1/jobs', key.key, variation(tiny)), 400)).code).toBe(
      'invalid_image_dimensions',
    );
    const inpaint = {
      task: 'inpaint',
      input: { prompt: 'x', image: toBase64(await tinyPng(64, 64)), mask: toBase64(await tinyPng(128, 64)) },
    };
    const mismatch = await expectError(await callJson('/v1/jobs', key.key, inpaint), 400);
    expect(mismatch.code).toBe('mask_size_mismatch');
    const missingPart = await expectError(await callJson('/v1/jobs', key.key, variation('attachment:photo')), 400);
    expect(missingPart.code).toBe('missing_attachment');
  });

  it('refuses a PNG whose image data is shorter than its header declares (the runner would refuse it)', async () => {
    const png = await tinyPng(64, 64);
    // tinyPng: signature + IHDR = 33 bytes, then one IDAT chunk. Re-deflate the rows one row short.
    const raw = new Uint8Array(65 * 63);
    const stream = new Uint8Array(
      await new Response(new Blob([raw]).stream().pipeThrough(new CompressionStream('deflate'))).arrayBuffer(),
    );
    const short = assemblePng({ width: 64, height: 64, bitDepth: 8, colorType: 0, interlace: 0 }, stream);
    expect(short.subarray(0, 33)).toEqual(png.subarray(0, 33));
    const body = { task: 'img2img', input: { prompt: 'x', image: toBase64(short), strength: 0.5 } };
    const error = await expectError(await callJson('/v1/jobs', key.key, body), 400);
    expect(error).toMatchObject({ param: 'input.image', code: 'invalid_image', type: 'invalid_request_error' });
    expect(error.message).toMatch(
      /^input.image is not a valid image: PNG image data ends after 4095 of the 4160 bytes/,
    );
  });

  it('refuses a malformed Idempotency-Key header', async () => {
    const response = await callJson('/v1/jobs', key.key, text2image({}), {
      headers: { 'idempotency-key': 'has space' },
    });
    expect((await expectError(response, 400)).param).toBe('Idempotency-Key');
  });
});

describe('other routes', () => {
  it('validates list query parameters', async () => {
    expect((await expectError(await callJson('/v1/jobs?limit=0', key.key), 400)).param).toBe('limit');
    expect((await expectError(await callJson('/v1/jobs?limit=abc', key.key), 400)).param).toBe('limit');
    expect((await expectError(await callJson('/v1/jobs?after=x', key.key), 400)).param).toBe('after');
    expect((await expectError(await callJson('/v1/jobs?colour=red', key.key), 400)).param).toBe('colour');
  });

  it('answers unknown job ids and routes with 404 in the error shape', async () => {
    expect((await expectError(await callJson('/v1/jobs/job_zz', key.key), 404)).code).toBe('job_not_found');
    expect((await expectError(await callJson('/v1/jobs/job_00AAAAAAAAAAAAAAAAAAAAAA', key.key), 404)).code).toBe(
      'job_not_found',
    );
    expect((await expectError(await call('/v1/nothing'), 404)).code).toBe('route_not_found');
  });

  it('validates the OpenAI-compatible endpoint', async () => {
    const path = '/v1/images/generations';
    expect((await expectError(await callJson(path, key.key, '{'), 400)).code).toBe('invalid_json');
    expect((await expectError(await callJson(path, key.key, { prompt: 'x', response_format: 'jpg' }), 400)).param).toBe(
      'response_format',
    );
    expect((await expectError(await callJson(path, key.key, { prompt: 'x', quality: 'hd' }), 400)).param).toBe(
      'quality',
    );
    expect((await expectError(await callJson(path, key.key, { prompt: 'x', model: 'dall-e-3' }), 400)).param).toBe(
      'model',
    );
    expect((await expectError(await callJson(path, key.key, { prompt: 'x', size: '4096x4096' }), 400)).param).toBe(
      'size',
    );
    expect((await expectError(await callJson(path, key.key, { prompt: 'x'.repeat(70_000) }), 413)).code).toBe(
      'request_too_large',
    );
  });

  it('validates runner bodies', async () => {
    expect((await expectError(await runnerCall('/v1/runner/lease', { wait_ms: 60_000 }), 400)).param).toBe('wait_ms');
    expect((await expectError(await runnerCall('/v1/runner/lease', { tasks: ['paint'] }), 400)).param).toBe('tasks.0');
    const heartbeat = await runnerCall('/v1/runner/jobs/job_00AAAAAAAAAAAAAAAAAAAAAA/heartbeat', {
      lease_id: 'l',
      lease: 'x',
    });
    expect((await expectError(heartbeat, 400)).code).toBe('unknown_parameter');
    const complete = await runnerCall('/v1/runner/jobs/job_00AAAAAAAAAAAAAAAAAAAAAA/complete', {
      lease_id: 'l',
      result: { images: [] },
    });
    expect((await expectError(complete, 400)).param).toBe('result.images');
  });

  it('validates admin bodies', async () => {
    const response = await call('/v1/admin/keys', {
      method: 'POST',
      headers: { authorization: 'Bearer test-admin-token', 'content-type': 'application/json' },
      body: JSON.stringify({ limits: { requests_per_minute: -1 } }),
    });
    expect((await expectError(response, 400)).param).toBe('limits.requests_per_minute');
  });
});
