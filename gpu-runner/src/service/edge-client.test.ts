import { createHash, createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeEdge } from '../../test/service/fake-edge.js';
import { EdgeClient } from './edge-client.js';

const SECRET = 'test-runner-secret-0123456789';
const edges: FakeEdge[] = [];

afterEach(async () => {
  for (const edge of edges.splice(0)) await edge.close();
});

/** A client whose fetch records every request's headers and can lose the answer of chosen calls. */
async function rig(loseAnswerOfCall: (n: number) => boolean = () => false) {
  const edge = new FakeEdge(SECRET);
  edges.push(edge);
  const url = await edge.listen();
  const sent: { path: string; headers: Record<string, string>; body: string }[] = [];
  const recordingFetch: typeof fetch = async (input, init) => {
    const headers = init?.headers as Record<string, string>;
    sent.push({ path: new URL(String(input)).pathname, headers, body: String(init?.body ?? '') });
    const response = await fetch(input, init);
    // The edge handled the request, but the answer never reaches the runner (a connection reset).
    if (loseAnswerOfCall(sent.length)) throw new TypeError('fetch failed: socket hang up');
    return response;
  };
  const client = new EdgeClient({
    baseUrl: url,
    runnerId: 'gpu-7',
    secret: SECRET,
    retryBaseMs: 5,
    fetch: recordingFetch,
  });
  return { edge, client, sent };
}

describe('EdgeClient request signing', () => {
  it('signs v2 over the runner id and a fresh 128-bit nonce, per docs/runner-protocol.md', async () => {
    const { edge, client, sent } = await rig();
    edge.enqueue('text2image');
    const grant = await client.lease(0, ['text2image']);
    expect(grant).not.toBeNull();
    const [request] = sent;
    expect(request.headers['x-runner-id']).toBe('gpu-7');
    expect(request.headers['x-runner-nonce']).toMatch(/^[0-9a-f]{32}$/);
    // Recomputed here from the documented canonical string, not with the client's signer.
    const canonical = [
      'v2',
      request.headers['x-runner-timestamp'],
      request.headers['x-runner-nonce'],
      'gpu-7',
      'POST',
      '/v1/runner/lease',
      createHash('sha256').update(request.body).digest('hex'),
    ].join('\n');
    expect(request.headers['x-runner-signature']).toBe(
      `v2=${createHmac('sha256', SECRET).update(canonical).digest('hex')}`,
    );
  });

  it('sends a new nonce on every call and on every retry, so the edge never sees a replay', async () => {
    // The first heartbeat's answer is lost after the edge accepted it: the retry must be a new signed request.
    const { edge, client, sent } = await rig((n) => n === 2);
    const id = edge.enqueue('text2image');
    const grant = (await client.lease(0, ['text2image']))!;
    await client.heartbeat(id, grant.lease.id);
    await client.heartbeat(id, grant.lease.id);
    await client.release(id, grant.lease.id);
    expect(sent.map((r) => r.path)).toEqual([
      '/v1/runner/lease',
      `/v1/runner/jobs/${id}/heartbeat`,
      `/v1/runner/jobs/${id}/heartbeat`,
      `/v1/runner/jobs/${id}/heartbeat`,
      `/v1/runner/jobs/${id}/release`,
    ]);
    const nonces = sent.map((r) => r.headers['x-runner-nonce']);
    expect(new Set(nonces).size).toBe(nonces.length);
    expect(edge.calls.every((call) => call.status !== 401)).toBe(true);
  });
});
