import { describe, expect, it } from 'vitest';
import { drainUnreadBody } from '../../infra/local/worker/drain-body.js';

/** A POST whose body yields `chunks` and then either ends or stalls (a client that stopped sending). */
function post(chunks: Uint8Array[], end: 'ends' | 'stalls', headers: Record<string, string> = {}) {
  let pulled = 0;
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (pulled < chunks.length) controller.enqueue(chunks[pulled++]);
        else if (end === 'ends') controller.close();
        else return new Promise(() => {});
      },
      cancel() {
        cancelled = true;
      },
      // Nothing is pulled until someone reads.
    },
    { highWaterMark: 0 },
  );
  // @ts-expect-error duplex is required for streamed bodies in Node
  const request = new Request('http://edge.local/v1/jobs', { method: 'POST', body, headers, duplex: 'half' });
  return { request, pulled: () => pulled, cancelled: () => cancelled };
}

describe('drainUnreadBody (the local edge entry)', () => {
  it('reads a body that arrives to its end', async () => {
    const { request, pulled } = post([new Uint8Array(10), new Uint8Array(20)], 'ends');
    expect(await drainUnreadBody(request, { idleMs: 200 })).toBe('drained');
    expect(pulled()).toBe(2);
  });

  it('stops waiting when the client stops sending (Content-Length larger than what is sent)', async () => {
    const { request, cancelled } = post([new Uint8Array(2)], 'stalls', { 'content-length': '1000' });
    const t0 = Date.now();
    expect(await drainUnreadBody(request, { idleMs: 200 })).toBe('idle');
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(cancelled()).toBe(true);
  });

  it('gives up on a body declared far larger than the cap once the client goes quiet', async () => {
    const { request, pulled, cancelled } = post([new Uint8Array(2)], 'stalls', { 'content-length': '999999999999' });
    const t0 = Date.now();
    expect(await drainUnreadBody(request, { maxBytes: 1024, idleMs: 200 })).toBe('idle');
    expect(Date.now() - t0).toBeLessThan(1500);
    expect([pulled(), cancelled()]).toEqual([1, true]);
  });

  it('stops after the cap when more arrives than allowed', async () => {
    const { request, cancelled } = post([new Uint8Array(600), new Uint8Array(600), new Uint8Array(600)], 'ends');
    expect(await drainUnreadBody(request, { maxBytes: 1000, idleMs: 200 })).toBe('too_large');
    expect(cancelled()).toBe(true);
  });

  it('leaves alone a body the Worker used, and requests without one', async () => {
    const used = post([new Uint8Array(3)], 'ends').request;
    await used.arrayBuffer();
    expect(await drainUnreadBody(used)).toBe('none');
    expect(await drainUnreadBody(new Request('http://edge.local/healthz'))).toBe('none');
  });
});
