import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ASSET_BASE } from '../../edge/src/playground/asset-paths';
import { PLAYGROUND_ASSETS } from '../../edge/src/playground/assets';
import { PLAYGROUND_HTML } from '../../edge/src/playground/page';

// The page's browser modules are strings the Worker serves. Here they are written to a folder as the files the
// browser sees and imported by Node, so their logic is tested without a browser (the DOM parts are covered by the
// Chromium tests).
let folder: string;
// biome-ignore lint/suspicious/noExplicitAny: browser modules are untyped JavaScript.
type Module = Record<string, any>;
const load = (name: string): Promise<Module> => import(/* @vite-ignore */ pathToFileURL(join(folder, name)).href);
const jsAssets = [...PLAYGROUND_ASSETS].filter(([name]) => name.endsWith('.js'));

beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'kd-playground-modules-'));
  writeFileSync(join(folder, 'package.json'), '{"type":"module"}');
  for (const [name, asset] of PLAYGROUND_ASSETS) writeFileSync(join(folder, name), asset.body);
});
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('served files', () => {
  test('every browser module is valid JavaScript', () => {
    for (const [name] of jsAssets) {
      expect(
        () => execFileSync(process.execPath, ['--check', join(folder, name)], { stdio: 'pipe' }),
        name,
      ).not.toThrow();
    }
  });

  test('modules import only modules that are served', () => {
    for (const [name, asset] of jsAssets) {
      for (const [, target] of asset.body.matchAll(/from '\.\/([\w.-]+)'/g)) {
        expect(PLAYGROUND_ASSETS.has(target), `${name} imports ${target}`).toBe(true);
      }
    }
  });

  test('the page loads only served assets and has no inline script or style', () => {
    const referenced = [...PLAYGROUND_HTML.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]);
    const local = referenced.filter((url) => url.startsWith('/'));
    expect(local.length).toBeGreaterThanOrEqual(3);
    for (const url of local) expect(PLAYGROUND_ASSETS.has(url.slice(ASSET_BASE.length)), url).toBe(true);
    expect(PLAYGROUND_HTML).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(PLAYGROUND_HTML).not.toMatch(/<style|\sstyle="|\son[a-z]+="/);
  });

  test('every id main.js looks up and every aria-describedby target exists in the page', () => {
    const ids = new Set([...PLAYGROUND_HTML.matchAll(/\sid="([^"]+)"/g)].map((match) => match[1]));
    const main = PLAYGROUND_ASSETS.get('main.js')!.body;
    const looked = [...main.matchAll(/byId\('([\w-]+)'\)/g)].map((match) => match[1]);
    expect(looked.length).toBeGreaterThan(10);
    for (const id of looked) expect(ids.has(id), `#${id}`).toBe(true);
    for (const [, list] of PLAYGROUND_HTML.matchAll(/aria-describedby="([^"$]+)"/g)) {
      for (const id of list.split(' ')) expect(ids.has(id), `#${id}`).toBe(true);
    }
  });

  test('every form control has a label', () => {
    const labelled = new Set([...PLAYGROUND_HTML.matchAll(/<label for="([^"]+)"/g)].map((match) => match[1]));
    const controls = [...PLAYGROUND_HTML.matchAll(/<(?:input|select|textarea)\s[^>]*id="([^"]+)"/g)].map((m) => m[1]);
    expect(controls.length).toBeGreaterThan(10);
    for (const id of controls) {
      if (id.includes('${')) continue; // upload fields: labelled through the same template, checked via variation/img2img
      expect(labelled.has(id), `#${id}`).toBe(true);
    }
  });
});

describe('sse-parser.js', () => {
  test('dispatches events split across arbitrary chunks, CRLF and CR line ends, and ignores comments', async () => {
    const { SseParser } = await load('sse-parser.js');
    const events: { event: string; data: string; id: string }[] = [];
    const parser = new SseParser((event: { event: string; data: string; id: string }) => events.push(event));
    const stream = ': keep-alive\n\nevent: job\nid: 3\ndata: {"a":\ndata: 1}\r\n\r\nevent: done\rdata:x\r\r';
    for (const chunk of stream.match(/[\s\S]{1,3}/g)!) parser.push(chunk);
    // The last CR may still be the first half of a CRLF until the stream ends.
    expect(events).toHaveLength(1);
    parser.end();
    expect(events).toEqual([
      { event: 'job', data: '{"a":\n1}', id: '3' },
      { event: 'done', data: 'x', id: '3' },
    ]);
  });

  test('an event without data lines is not dispatched, and its type does not leak into the next one', async () => {
    const { SseParser } = await load('sse-parser.js');
    const events: { event: string }[] = [];
    const parser = new SseParser((event: { event: string }) => events.push(event));
    parser.push('event: job\n\ndata: plain\n\ndata: cut off');
    parser.end();
    expect(events).toEqual([{ event: 'message', data: 'plain', id: '' }]);
  });
});

describe('request-builder.js', () => {
  const base = {
    prompt: 'ein Haus',
    negativePrompt: '',
    size: '512x512',
    n: '1',
    steps: '30',
    guidance: '4.5',
    seed: '',
    scheduler: 'ddim',
    priorSteps: '25',
    priorGuidance: '4',
    outputFormat: 'png',
    strength: '0.3',
    image: null,
    mask: null,
    fuse: [],
  };

  test('text2image: numbers parsed, blank optional fields left out for the API defaults', async () => {
    const { buildJobRequest } = await load('request-builder.js');
    const { request, files } = buildJobRequest({ ...base, task: 'text2image' });
    expect(request).toEqual({
      task: 'text2image',
      input: {
        prompt: 'ein Haus',
        size: '512x512',
        n: 1,
        steps: 30,
        guidance_scale: 4.5,
        scheduler: 'ddim',
        prior_steps: 25,
        prior_guidance_scale: 4,
        output_format: 'png',
      },
    });
    expect(files.size).toBe(0);
  });

  test('live preview asks for about ten previews per run', async () => {
    const { buildJobRequest, previewEvery } = await load('request-builder.js');
    expect(buildJobRequest({ ...base, task: 'text2image', livePreview: true }).request.input.preview_every).toBe(3);
    expect(buildJobRequest({ ...base, task: 'text2image', livePreview: false }).request.input).not.toHaveProperty(
      'preview_every',
    );
    expect([previewEvery(6), previewEvery(150), previewEvery(undefined), previewEvery('x')]).toEqual([1, 15, 10, 10]);
  });

  test('values the API would refuse are sent as typed, so its message names the problem', async () => {
    const { buildJobRequest } = await load('request-builder.js');
    const { request } = buildJobRequest({ ...base, task: 'text2image', prompt: '  ', steps: '500', seed: '12abc' });
    expect(request.input).toMatchObject({ prompt: '  ', steps: 500, seed: '12abc' });
  });

  test('inpaint sends image and mask as multipart parts; variation leaves a blank prompt out', async () => {
    const { buildJobRequest } = await load('request-builder.js');
    const image = new Blob(['img']);
    const mask = new Blob(['mask']);
    const inpaint = buildJobRequest({ ...base, task: 'inpaint', image, mask });
    expect(inpaint.request.input).toMatchObject({ image: 'attachment:image', mask: 'attachment:mask' });
    expect([...inpaint.files]).toEqual([
      ['image', image],
      ['mask', mask],
    ]);
    expect(inpaint.request.input.strength).toBeUndefined();
    const variation = buildJobRequest({ ...base, task: 'variation', prompt: ' ', image });
    expect(variation.request.input.prompt).toBeUndefined();
    const img2img = buildJobRequest({ ...base, task: 'img2img', image });
    expect(img2img.request.input.strength).toBe(0.3);
  });

  test('fuse: one part per image input, named by position; no prompt field', async () => {
    const { buildJobRequest } = await load('request-builder.js');
    const picture = new Blob(['p']);
    const { request, files } = buildJobRequest({
      ...base,
      task: 'fuse',
      fuse: [
        { type: 'text', text: 'a castle', weight: '0.3' },
        { type: 'image', file: picture, weight: '0.7' },
        { type: 'image', file: null, weight: '0.5' },
      ],
    });
    expect(request.input.prompt).toBeUndefined();
    expect(JSON.parse(JSON.stringify(request.input.inputs))).toEqual([
      { type: 'text', text: 'a castle', weight: 0.3 },
      { type: 'image', image: 'attachment:input-1', weight: 0.7 },
      { type: 'image', weight: 0.5 },
    ]);
    expect([...files.keys()]).toEqual(['input-1']);
  });

  test('reproduceRequest: the job settings with the image own seed and n = 1', async () => {
    const { reproduceRequest } = await load('request-builder.js');
    const job = {
      task: 'text2image',
      input: {
        prompt: 'x',
        n: 3,
        width: 768,
        height: 512,
        seed: 10,
        steps: 20,
        guidance_scale: 4,
        prior_steps: 25,
        prior_guidance_scale: 4,
        scheduler: 'ddpm',
        output_format: 'png',
      },
    };
    expect(reproduceRequest(job, { seed: 12 })).toEqual({
      task: 'text2image',
      input: {
        prompt: 'x',
        steps: 20,
        guidance_scale: 4,
        prior_steps: 25,
        prior_guidance_scale: 4,
        scheduler: 'ddpm',
        output_format: 'png',
        size: '768x512',
        seed: 12,
        n: 1,
      },
    });
  });
});

describe('field-errors.js', () => {
  test('maps API params to the fields of the page', async () => {
    const { fieldIdForError } = await load('field-errors.js');
    const cases: [Record<string, unknown>, string, string | null][] = [
      [{ param: 'input.steps' }, 'text2image', 'steps'],
      [{ param: 'input.width' }, 'text2image', 'size'],
      [{ param: 'input.guidance_scale' }, 'fuse', 'guidance'],
      [{ param: 'input.image' }, 'img2img', 'img2img-image'],
      [{ param: 'input.mask' }, 'inpaint', 'inpaint-mask'],
      [{ param: 'input.inputs.2.text' }, 'fuse', 'fuse-2-text'],
      [{ param: 'input.inputs.1.weight' }, 'fuse', 'fuse-1-weight'],
      [{ param: 'input.inputs.1.type' }, 'fuse', 'fuse-items'],
      [{ param: 'input.inputs' }, 'fuse', 'fuse-items'],
      [{ status: 401, code: 'invalid_api_key', param: null }, 'text2image', 'api-key'],
      [{ param: 'Idempotency-Key' }, 'text2image', null],
      [{ param: null }, 'text2image', null],
    ];
    for (const [error, task, expected] of cases)
      expect(fieldIdForError(error, task), JSON.stringify(error)).toBe(expected);
  });

  test('every static field it can name has an error slot in the page', async () => {
    const body = PLAYGROUND_ASSETS.get('field-errors.js')!.body;
    const fields = [...body.matchAll(/': '([\w-]+)',/g)].map((match) => match[1]);
    expect(fields.length).toBeGreaterThan(10);
    for (const id of new Set([...fields, 'api-key'])) {
      expect(PLAYGROUND_HTML, `#${id}`).toContain(`id="${id}"`);
      expect(PLAYGROUND_HTML, `#${id}-error`).toContain(`id="${id}-error"`);
    }
  });
});

describe('progress-view.js and output-size.js', () => {
  test('describeJob words each state', async () => {
    const { describeJob } = await load('progress-view.js');
    expect(describeJob({ status: 'queued', attempts: 0 })).toBe('Queued…');
    expect(describeJob({ status: 'queued', attempts: 1 })).toBe('Waiting for a runner again (attempt 2)…');
    expect(describeJob({ status: 'running', progress: null })).toBe('Starting…');
    expect(describeJob({ status: 'running', progress: { stage: 'prior', step: 4, total_steps: 25 } })).toBe(
      'Step 4 of 25 (prior)',
    );
    expect(describeJob({ status: 'running', progress: { stage: 'upscale', step: 1, total_steps: 2 } })).toBe(
      'Step 1 of 2 (upscale)',
    );
    expect(describeJob({ status: 'succeeded', output: { images: [1, 2] } })).toBe('Done: 2 images.');
    expect(describeJob({ status: 'failed', error: { message: 'out of memory' } })).toBe('Failed: out of memory');
    expect(describeJob({ status: 'cancelled' })).toBe('Cancelled.');
    // A queued job's place in the queue and its estimated start, from the API's queue field.
    const now = 1_000_000_000_000;
    const queued = (position: number, start: number | null) => ({
      status: 'queued',
      attempts: 0,
      queue: { position, estimated_start_at: start },
    });
    expect(describeJob(queued(1, null), now)).toBe('Queued: next in line.');
    expect(describeJob(queued(3, now / 1000 + 42), now)).toBe('Queued: number 3 in line, starting in about 42 s.');
    expect(describeJob(queued(9, now / 1000 + 600), now)).toBe('Queued: number 9 in line, starting in about 10 min.');
    expect(describeJob(queued(1, now / 1000 - 5), now)).toBe('Queued: next in line, starting now.');
  });

  test('outputSizeFor keeps the shape within 64..1024 in multiples of 64', async () => {
    const { outputSizeFor } = await load('output-size.js');
    expect(outputSizeFor(256, 192)).toBe('256x192');
    expect(outputSizeFor(4000, 3000)).toBe('1024x768');
    expect(outputSizeFor(1000, 1000)).toBe('1024x1024');
    expect(outputSizeFor(100, 30)).toBe('128x64');
    expect(outputSizeFor(3000, 500)).toBe('1024x192');
  });
});

describe('api-client.js', () => {
  const sse = (text: string) => new Response(text, { status: 200, headers: { 'content-type': 'text/event-stream' } });

  test('errors carry the API words, param and code; non-JSON and network failures are described', async () => {
    const { createApiClient, ApiRequestError } = await load('api-client.js');
    const answers = [
      Response.json(
        {
          error: {
            message: 'Invalid value for input.steps',
            type: 'invalid_request_error',
            param: 'input.steps',
            code: 'invalid_value',
          },
        },
        { status: 400 },
      ),
      new Response('<html>bad gateway</html>', { status: 502 }),
    ];
    const api = createApiClient({
      getKey: () => 'kd_live_x',
      fetchImpl: async () => {
        const next = answers.shift();
        if (!next) throw new TypeError('fetch failed');
        return next;
      },
    });
    const first = await api.getJob('job_1').catch((error: unknown) => error);
    expect(first).toBeInstanceOf(ApiRequestError);
    expect(first).toMatchObject({
      status: 400,
      message: 'Invalid value for input.steps',
      param: 'input.steps',
      code: 'invalid_value',
    });
    await expect(api.getJob('job_1')).rejects.toMatchObject({
      status: 502,
      message: 'The API answered HTTP 502: <html>bad gateway</html>',
    });
    await expect(api.getJob('job_1')).rejects.toMatchObject({
      status: 0,
      message: 'Could not reach the API (fetch failed).',
    });
  });

  test('createJob sends JSON without files and multipart with a request field and the parts otherwise', async () => {
    const { createApiClient } = await load('api-client.js');
    const seen: RequestInit[] = [];
    const api = createApiClient({
      getKey: () => 'kd_live_k',
      fetchImpl: async (_url: string, init: RequestInit) => {
        seen.push(init);
        return Response.json({ id: 'job_1', status: 'queued' }, { status: 202 });
      },
    });
    await api.createJob({ task: 'text2image', input: { prompt: 'x' } });
    await api.createJob(
      { task: 'inpaint', input: { image: 'attachment:image' } },
      new Map([['image', new Blob(['png'])]]),
    );
    expect(seen[0].headers).toMatchObject({ authorization: 'Bearer kd_live_k', 'content-type': 'application/json' });
    expect(JSON.parse(String(seen[0].body))).toEqual({ task: 'text2image', input: { prompt: 'x' } });
    const form = seen[1].body as FormData;
    expect(form).toBeInstanceOf(FormData);
    expect(JSON.parse(String(form.get('request')))).toEqual({ task: 'inpaint', input: { image: 'attachment:image' } });
    expect(await (form.get('image') as Blob).text()).toBe('png');
    // The browser sets the multipart boundary itself.
    expect((seen[1].headers as Record<string, string>)['content-type']).toBeUndefined();
  });

  test('followJob reports every SSE job event and returns the terminal one', async () => {
    const { createApiClient } = await load('api-client.js');
    const running = { id: 'job_1', status: 'running', progress: { stage: 'decoder', step: 2, total_steps: 5 } };
    const done = { id: 'job_1', status: 'succeeded' };
    const api = createApiClient({
      getKey: () => 'k',
      fetchImpl: async (url: string) => {
        expect(url).toBe('/v1/jobs/job_1/events');
        return sse(
          `event: job\ndata: ${JSON.stringify(running)}\n\n: keep-alive\n\nevent: job\ndata: ${JSON.stringify(done)}\n\nevent: done\ndata: {}\n\n`,
        );
      },
    });
    const updates: unknown[] = [];
    expect(await api.followJob('job_1', { onUpdate: (job: unknown) => updates.push(job) })).toEqual(done);
    expect(updates).toEqual([running, done]);
  });

  test("followJob hands previews to onPreview and a queued job's new place to onUpdate", async () => {
    const { createApiClient } = await load('api-client.js');
    const queued = { id: 'job_1', status: 'queued', queue: { position: 2, estimated_start_at: null } };
    const preview = { id: 'job_1', step: 2, images: [{ url: 'https://bucket/previews/2-0.png' }] };
    const done = { id: 'job_1', status: 'succeeded' };
    const api = createApiClient({
      getKey: () => 'k',
      fetchImpl: async () =>
        sse(
          [
            `event: job\ndata: ${JSON.stringify(queued)}`,
            `event: queue\ndata: ${JSON.stringify({ id: 'job_1', queue: { position: 1, estimated_start_at: 99 } })}`,
            `event: preview\ndata: ${JSON.stringify(preview)}`,
            `event: job\ndata: ${JSON.stringify(done)}`,
            'event: done\ndata: {}',
            '',
          ].join('\n\n'),
        ),
    });
    const updates: { queue?: unknown }[] = [];
    const previews: unknown[] = [];
    await api.followJob('job_1', {
      onUpdate: (job: { queue?: unknown }) => updates.push(job),
      onPreview: (p: unknown) => previews.push(p),
    });
    expect(updates.map((job) => job.queue ?? null)).toEqual([
      { position: 2, estimated_start_at: null },
      { position: 1, estimated_start_at: 99 },
      null,
    ]);
    expect(previews).toEqual([preview]);
  });

  test('followJob falls back to polling when the stream keeps ending early', async () => {
    const { createApiClient } = await load('api-client.js');
    const urls: string[] = [];
    let polls = 0;
    const api = createApiClient({
      getKey: () => 'k',
      pollMs: 1,
      fetchImpl: async (url: string) => {
        urls.push(url);
        if (url.endsWith('/events')) return sse('event: job\ndata: {"id":"job_1","status":"queued"}\n\n');
        polls += 1;
        return Response.json({ id: 'job_1', status: polls < 2 ? 'running' : 'failed', error: { message: 'boom' } });
      },
    });
    const final = await api.followJob('job_1', { onUpdate: () => {} });
    expect(final.status).toBe('failed');
    expect(urls.filter((url) => url.endsWith('/events'))).toHaveLength(3);
    expect(polls).toBe(2);
  });

  test('followJob gives up at once when the stream is refused (4xx)', async () => {
    const { createApiClient } = await load('api-client.js');
    let calls = 0;
    const api = createApiClient({
      getKey: () => 'k',
      fetchImpl: async () => {
        calls += 1;
        return Response.json(
          { error: { message: 'No job with id job_1', type: 'not_found_error', param: 'id', code: 'job_not_found' } },
          { status: 404 },
        );
      },
    });
    await expect(api.followJob('job_1', { onUpdate: () => {} })).rejects.toMatchObject({
      status: 404,
      code: 'job_not_found',
    });
    expect(calls).toBe(1);
  });
});
