import { describe, expect, it } from 'vitest';
import { hmacSha256, sha256Hex, toHex } from '../../lib/crypto';
import { type RunnerRequestParts, runnerSignature } from '.';

const parts: RunnerRequestParts = {
  timestamp: '1700000000',
  nonce: '000102030405060708090a0b0c0d0e0f',
  runnerId: 'gpu-runner-1',
  method: 'POST',
  path: '/v1/runner/lease',
  body: new Uint8Array(0),
};

describe('runnerSignature', () => {
  it('is v2= hex HMAC-SHA256 over version, timestamp, nonce, runner id, method, path and body hash', async () => {
    const body = new TextEncoder().encode('{"wait_ms":1000}');
    const canonical = `v2\n1700000000\n${parts.nonce}\ngpu-runner-1\nPOST\n/v1/runner/lease\n${await sha256Hex(body)}`;
    const expected = `v2=${toHex(await hmacSha256('secret', canonical))}`;
    expect(await runnerSignature('secret', { ...parts, method: 'post', body })).toBe(expected);
  });

  it('matches independently computed reference values', async () => {
    // Node's crypto module: createHmac('sha256', 'secret').update(['v2', '1700000000', nonce, 'gpu-runner-1', 'POST',
    // '/v1/runner/lease', createHash('sha256').update(body).digest('hex')].join('\n')).digest('hex').
    expect(await runnerSignature('secret', parts)).toBe(
      'v2=6e66c43a8f73a54b4c12bc0f01ba5ca69308dc037b280238c4c18979b32d12d6',
    );
    expect(await runnerSignature('secret', { ...parts, body: new TextEncoder().encode('{"wait_ms":1000}') })).toBe(
      'v2=1caf7f3d03fc0a39958664a778026d6bf256ab75c4c640fc64dd18e65bb86bd0',
    );
  });

  it('changes with every signed part, the runner id and the nonce included', async () => {
    const base = await runnerSignature('secret', parts);
    const variants: Partial<RunnerRequestParts>[] = [
      { timestamp: '1700000001' },
      { nonce: '100102030405060708090a0b0c0d0e0f' },
      { runnerId: 'gpu-runner-2' },
      { method: 'PUT' },
      { path: '/v1/runner/jobs/x/heartbeat' },
      { body: new Uint8Array([0x7b, 0x7d]) },
    ];
    for (const variant of variants) expect(await runnerSignature('secret', { ...parts, ...variant })).not.toBe(base);
    expect(await runnerSignature('other-secret', parts)).not.toBe(base);
  });
});
