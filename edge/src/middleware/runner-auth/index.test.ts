import { describe, expect, it } from 'vitest';
import { hmacSha256, sha256Hex, toHex } from '../../lib/crypto';
import { runnerSignature } from '.';

describe('runnerSignature', () => {
  it('is v1= hex HMAC-SHA256 over timestamp, method, path and body hash (docs/runner-protocol.md)', async () => {
    const body = new TextEncoder().encode('{"wait_ms":1000}');
    const canonical = `1700000000\nPOST\n/v1/runner/lease\n${await sha256Hex(body)}`;
    const expected = `v1=${toHex(await hmacSha256('secret', canonical))}`;
    expect(await runnerSignature('secret', '1700000000', 'post', '/v1/runner/lease', body)).toBe(expected);
  });

  it('matches an independently computed reference value', async () => {
    // HMAC-SHA256("secret", "1700000000\nPOST\n/v1/runner/lease\n" + sha256("")) computed with Node's crypto module.
    const signature = await runnerSignature('secret', '1700000000', 'POST', '/v1/runner/lease', new Uint8Array(0));
    expect(signature).toBe(REFERENCE);
  });
});

const REFERENCE = 'v1=3e54ddc8bbd783ad69c8124b1e3804ae7340611827bc2b71e265e470f1ddc8e5';
