import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { requestId } from '.';

describe('requestId', () => {
  it('sets a fresh id on success and error responses, ignoring a client-supplied one', async () => {
    const app = new Hono<{ Variables: { requestId: string } }>();
    app.use(requestId());
    app.get('/ok', (c) => c.text(c.get('requestId')));
    app.get('/boom', () => {
      throw new Error('boom');
    });
    app.onError((_err, c) => c.text('failed', 500));
    const ok = await app.request('/ok', { headers: { 'x-request-id': 'forged' } });
    const id = ok.headers.get('x-request-id');
    expect(id).toMatch(/^req_[0-9A-Za-z]{24}$/);
    expect(await ok.text()).toBe(id);
    const failed = await app.request('/boom');
    expect(failed.status).toBe(500);
    expect(failed.headers.get('x-request-id')).toMatch(/^req_/);
    expect(failed.headers.get('x-request-id')).not.toBe(id);
  });
});
