import { describe, expect, it } from 'vitest';
import { signRunnerRequest } from './runner-signature.js';

describe('signRunnerRequest', () => {
  it('matches a signature computed independently with openssl', () => {
    // printf '1700000000\nPOST\n/v1/runner/lease\n<sha256 of body>' | openssl dgst -sha256 -hmac 'secret-0123456789abcdef'
    expect(
      signRunnerRequest('secret-0123456789abcdef', '1700000000', 'post', '/v1/runner/lease', '{"wait_ms":0}'),
    ).toBe('v1=f56164d9f66a865c8289ea959e9599a972cd8121578516a48a79a86369369e78');
  });

  it('changes with any signed part', () => {
    const base = signRunnerRequest('s', '1', 'POST', '/p', 'b');
    expect(signRunnerRequest('s', '2', 'POST', '/p', 'b')).not.toBe(base);
    expect(signRunnerRequest('s', '1', 'POST', '/q', 'b')).not.toBe(base);
    expect(signRunnerRequest('s', '1', 'POST', '/p', 'c')).not.toBe(base);
    expect(signRunnerRequest('t', '1', 'POST', '/p', 'b')).not.toBe(base);
  });
});
