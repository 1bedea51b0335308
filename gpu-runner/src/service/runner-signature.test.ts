import { describe, expect, it } from 'vitest';
import { type RunnerRequestParts, runnerNonce, signRunnerRequest } from './runner-signature.js';

const parts: RunnerRequestParts = {
  timestamp: '1700000000',
  nonce: 'ffeeddccbbaa99887766554433221100',
  runnerId: 'runner-a.1',
  method: 'post',
  path: '/v1/runner/lease',
  body: '{"wait_ms":0}',
};

describe('signRunnerRequest', () => {
  it('matches a signature computed independently with openssl', () => {
    // printf 'v2\n1700000000\nffeeddccbbaa99887766554433221100\nrunner-a.1\nPOST\n/v1/runner/lease\n%s' \
    //   "$(printf '{"wait_ms":0}' | openssl dgst -sha256 -r | cut -d' ' -f1)" \
    //   | openssl dgst -sha256 -hmac 'secret-0123456789abcdef'
    expect(signRunnerRequest('secret-0123456789abcdef', parts)).toBe(
      'v2=452c368f02bd4a62f6283475c2db6e975d79200b660866ec5702676bdb7f43c3',
    );
  });

  it('changes with any signed part, the runner id and the nonce included', () => {
    const base = signRunnerRequest('s', parts);
    const variants: Partial<RunnerRequestParts>[] = [
      { timestamp: '1700000001' },
      { nonce: '0feeddccbbaa99887766554433221100' },
      { runnerId: 'runner-b' },
      { method: 'PUT' },
      { path: '/q' },
      { body: '{}' },
    ];
    for (const variant of variants) expect(signRunnerRequest('s', { ...parts, ...variant })).not.toBe(base);
    expect(signRunnerRequest('t', parts)).not.toBe(base);
  });
});

describe('runnerNonce', () => {
  it('is 32 lowercase hex characters and different every time', () => {
    const nonces = new Set(Array.from({ length: 1000 }, runnerNonce));
    expect(nonces.size).toBe(1000);
    for (const nonce of nonces) expect(nonce).toMatch(/^[0-9a-f]{32}$/);
  });
});
