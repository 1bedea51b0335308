import { SELF } from 'cloudflare:test';
import { describe, expect, inject, it } from 'vitest';
import { PLAYGROUND_ASSETS } from './assets';

const BASE = 'http://gateway.test';
const get = (path: string, headers: Record<string, string> = {}) => SELF.fetch(`${BASE}${path}`, { headers });

describe('playground routes (mounted in the gateway)', () => {
  it('serves the page with a strict CSP allowing images from the configured bucket', async () => {
    const response = await get('/playground');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const policy = response.headers.get('content-security-policy') ?? '';
    expect(policy).toContain("script-src 'self'");
    expect(policy).toContain(`img-src 'self' blob: http://127.0.0.1:${inject('s3Port')}`);
    expect(policy).not.toContain('unsafe-inline');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await response.text()).toContain('<script type="module" src="/playground/assets/main.js"></script>');
  });

  it('sends / and /playground/ to the page', async () => {
    for (const path of ['/', '/playground/']) {
      const response = await SELF.fetch(`${BASE}${path}`, { redirect: 'manual' });
      expect([301, 302]).toContain(response.status);
      expect(response.headers.get('location')).toBe('/playground');
    }
  });

  it('serves every asset with its type and an ETag that revalidates to 304', async () => {
    for (const [name, asset] of PLAYGROUND_ASSETS) {
      const response = await get(`/playground/assets/${name}`);
      expect(response.status, name).toBe(200);
      expect(response.headers.get('content-type'), name).toBe(asset.contentType);
      expect(response.headers.get('cache-control'), name).toBe('no-cache');
      expect(await response.text(), name).toBe(asset.body);
      const etag = response.headers.get('etag');
      expect(etag, name).toBeTruthy();
      const again = await get(`/playground/assets/${name}`, { 'if-none-match': etag! });
      expect(again.status, name).toBe(304);
      await again.body?.cancel();
    }
  });

  it('answers an unknown asset with a 404 in the API error shape', async () => {
    const response = await get('/playground/assets/nope.js');
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      error: {
        message: 'No playground asset named "nope.js".',
        type: 'not_found_error',
        param: null,
        code: 'asset_not_found',
      },
    });
  });
});
