import { describe, expect, it } from 'vitest';
import { checkWebhookTarget } from './target-policy';

const production = { allowPrivate: false, requireHttps: true };

describe('checkWebhookTarget', () => {
  it.each([
    'https://localhost/hook',
    'https://api.localhost/hook',
    'https://127.0.0.1/hook',
    'https://127.1.2.3:8443/hook',
    'https://2130706433/hook', // 127.0.0.1 in decimal, normalised by URL
    'https://0x7f000001/hook',
    'https://10.0.0.5/hook',
    'https://172.16.0.1/hook',
    'https://192.168.1.1/hook',
    'https://169.254.169.254/latest/meta-data',
    'https://100.64.0.1/hook',
    'https://0.0.0.0/hook',
    'https://[::1]/hook',
    'https://[fe80::1]/hook',
    'https://[fd00::1]/hook',
    'https://[::ffff:127.0.0.1]/hook',
    'https://printer.local/hook',
    'https://metadata.google.internal/hook',
    'https://intranet/hook',
  ])('refuses %s in production', (url) => {
    expect(checkWebhookTarget(url, production)?.code).toBe('private_webhook_target');
  });

  it('accepts public https targets', () => {
    expect(checkWebhookTarget('https://hooks.example.com/kandinsky', production)).toBeNull();
    expect(checkWebhookTarget('https://8.8.8.8/hook', production)).toBeNull();
    expect(checkWebhookTarget('https://[2606:4700::1111]/hook', production)).toBeNull();
  });

  it('refuses non-http schemes, credentials and plain http when https is required', () => {
    expect(checkWebhookTarget('ftp://example.com/x', production)?.code).toBe('invalid_webhook_url');
    expect(checkWebhookTarget('https://user:pw@example.com/x', production)?.code).toBe('invalid_webhook_url');
    expect(checkWebhookTarget('http://example.com/x', production)?.code).toBe('invalid_webhook_url');
    expect(checkWebhookTarget('not a url', production)?.code).toBe('invalid_webhook_url');
  });

  it('allows private targets only when the development flag is set', () => {
    expect(checkWebhookTarget('http://127.0.0.1:9999/hook', { allowPrivate: true, requireHttps: false })).toBeNull();
  });
});
