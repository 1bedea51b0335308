import { PNG } from 'pngjs';
import { expect } from 'vitest';
import { type SseEvent, takeSseEvents } from '../../edge/test/sse.js';

/** A job as the public API returns it (the fields the tests read). */
export interface PublicJob {
  id: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  attempts: number;
  progress: { stage: string; step: number; total_steps: number } | null;
  output: {
    images: { url: string; width: number; height: number; content_type: string; seed: number; bytes: number }[];
  } | null;
  error: { code: string; message: string; type: 'invalid_request_error' | 'server_error' } | null;
  /** The resolved parameters (defaults filled, sizes rounded, seed chosen, images as bucket keys). */
  input: Record<string, unknown>;
}

/** Small public-API client over raw HTTP (fetch), as a customer without an SDK would call it. */
export class Api {
  constructor(
    readonly baseUrl: string,
    readonly apiKey: string,
  ) {}

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.apiKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  /** `POST /v1/jobs`; returns the job (202 queued or 200 when done within `Prefer: wait`). */
  async createJob(
    task: string,
    input: Record<string, unknown>,
    headers: Record<string, string> = {},
  ): Promise<PublicJob> {
    const res = await this.request('POST', '/v1/jobs', { task, input }, headers);
    const text = await res.text();
    if (res.status !== 202 && res.status !== 200) throw new Error(`create ${task}: HTTP ${res.status} ${text}`);
    return JSON.parse(text) as PublicJob;
  }

  async getJob(id: string): Promise<PublicJob> {
    const res = await this.request('GET', `/v1/jobs/${id}`);
    if (!res.ok) throw new Error(`get ${id}: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as PublicJob;
  }

  /** Polls (long-polling with `Prefer: wait`) until the job is terminal. */
  async waitForJob(id: string, timeoutMs = 120_000): Promise<PublicJob> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await this.request('GET', `/v1/jobs/${id}`, undefined, { prefer: 'wait=10' });
      const job = (await res.json()) as PublicJob;
      if (['succeeded', 'failed', 'cancelled'].includes(job.status)) return job;
      if (Date.now() > deadline) throw new Error(`job ${id} still ${job.status} after ${timeoutMs} ms`);
    }
  }

  /** Waits until `predicate(job)` holds, polling every 100 ms. */
  async waitUntil(id: string, predicate: (job: PublicJob) => boolean, timeoutMs = 60_000): Promise<PublicJob> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const job = await this.getJob(id);
      if (predicate(job)) return job;
      if (Date.now() > deadline)
        throw new Error(`job ${id}: condition not met within ${timeoutMs} ms (status ${job.status})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Downloads a result by its signed URL and checks it is a PNG of `width x height`; returns the decoded image. */
export async function fetchPng(url: string, width: number, height: number): Promise<PNG> {
  const res = await fetch(url);
  expect(res.status, `GET ${url}`).toBe(200);
  const bytes = Buffer.from(await res.arrayBuffer());
  const png = PNG.sync.read(bytes);
  expect([png.width, png.height]).toEqual([width, height]);
  return png;
}

/** A base64 PNG input image with a gradient (and, for masks, a white square = repaint). */
export function pngBase64(width: number, height: number, kind: 'gradient' | 'mask' = 'gradient'): string {
  const png = new PNG({ width, height });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const inSquare = x >= width / 4 && x < (3 * width) / 4 && y >= height / 4 && y < (3 * height) / 4;
      const v = kind === 'mask' ? (inSquare ? 255 : 0) : undefined;
      png.data[i] = v ?? Math.round((x / width) * 255);
      png.data[i + 1] = v ?? Math.round((y / height) * 255);
      png.data[i + 2] = v ?? 128;
      png.data[i + 3] = 255;
    }
  }
  return `data:image/png;base64,${PNG.sync.write(png).toString('base64')}`;
}

export type { SseEvent };

/** Reads an SSE stream until `done` arrives (or the stream ends), returning every event in order. */
export async function readSse(url: string, apiKey: string, timeoutMs = 120_000): Promise<SseEvent[]> {
  const res = await fetch(url, {
    headers: { authorization: `Bearer ${apiKey}`, accept: 'text/event-stream' },
    signal: AbortSignal.timeout(timeoutMs),
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const events: SseEvent[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    const taken = takeSseEvents(buffer + decoder.decode(chunk, { stream: true }));
    buffer = taken.rest;
    for (const event of taken.events) {
      events.push(event);
      if (event.event === 'done') return events;
    }
  }
  return events;
}
