import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../errors/api-error';
import { readBody } from '.';

function app() {
  const hono = new Hono<{ Variables: { rawBody: Uint8Array } }>();
  hono.post('/', readBody({ maxBytes: 8 }), (c) => c.text(String(c.get('rawBody').byteLength)));
  hono.onError((err, c) => c.text(err instanceof ApiError ? `${err.status} ${err.code}` : 'other', 500));
  return hono;
}

describe('readBody', () => {
  it('keeps the exact bytes up to the limit', async () => {
    expect(await (await app().request('/', { method: 'POST', body: '12345678' })).text()).toBe('8');
    expect(await (await app().request('/', { method: 'POST' })).text()).toBe('0');
  });

  it('refuses a declared or streamed body above the limit with 413', async () => {
    const declared = await app().request('/', { method: 'POST', body: '123456789' });
    expect(await declared.text()).toBe('413 request_too_large');
    const streamed = await app().request('/', {
      method: 'POST',
      body: new Blob(['1234', '56789']).stream(),
      // @ts-expect-error duplex is required for streamed bodies
      duplex: 'half',
    });
    expect(await streamed.text()).toBe('413 request_too_large');
  });
});
