import type { MiddlewareHandler } from 'hono';
import { readConfig } from '../../config';
import { ApiError } from '../../errors/api-error';
import { hmacSha256, sha256Hex, timingSafeEqualStrings, toHex } from '../../lib/crypto';
import type { AppEnv } from '../../types';

/** Accepted clock difference between a runner's signed timestamp and the edge, in seconds. */
export const RUNNER_CLOCK_SKEW_SECONDS = 300;
const RUNNER_ID = /^[A-Za-z0-9._-]{1,64}$/;
/** 128 random bits as lowercase hex. */
const NONCE = /^[0-9a-f]{32}$/;
const TIMESTAMP = /^\d{1,12}$/;

/** The signed parts of a runner request (docs/runner-protocol.md). */
export interface RunnerRequestParts {
  /** `x-runner-timestamp`: unix seconds, decimal. */
  timestamp: string;
  /** `x-runner-nonce`: 32 lowercase hex characters, fresh for every request. */
  nonce: string;
  /** `x-runner-id`. */
  runnerId: string;
  method: string;
  /** URL path without the query string. */
  path: string;
  /** The raw body bytes (empty for none). */
  body: Uint8Array;
}

/**
 * The signature a runner sends (docs/runner-protocol.md): `v2=` + hex HMAC-SHA256 over
 * `"v2" \n timestamp \n nonce \n runnerId \n METHOD \n path \n hex(sha256(body))`.
 * @example await runnerSignature(secret, { timestamp: '1700000000', nonce, runnerId: 'gpu-1', method: 'POST', path: '/v1/runner/lease', body })
 */
export async function runnerSignature(secret: string, parts: RunnerRequestParts): Promise<string> {
  const canonical = [
    'v2',
    parts.timestamp,
    parts.nonce,
    parts.runnerId,
    parts.method.toUpperCase(),
    parts.path,
    await sha256Hex(parts.body),
  ].join('\n');
  return `v2=${toHex(await hmacSha256(secret, canonical))}`;
}

/**
 * Verifies runner requests: signed with RUNNER_SECRET (v2, covering runner id, nonce, timestamp, method, path and
 * body), timestamp within ±300 s, and never seen before (the nonce is recorded in the runner's
 * `RunnerReplayGuard` object for as long as the timestamp is acceptable). Must run after `readBody()`. Sets
 * `c.get('runnerId')`.
 *
 * Every refused request is a 401; only a gateway without RUNNER_SECRET answers 503 (`runner_auth_not_configured`),
 * since then the fault is the gateway's, not the runner's. The 401 message names the check that failed (header format,
 * clock window, signature version, signature) so an operator can tell a wrong secret from clock skew; none of that
 * depends on the secret except match/no-match, which is compared in constant time. Replays get code
 * `runner_request_replayed`, everything else `invalid_runner_signature`. The replay check runs only for correctly signed requests, so nobody without the secret
 * can make the edge store anything.
 * @example runner.use('*', readBody({ maxBytes: 65536 }), runnerAuth());
 */
export function runnerAuth(): MiddlewareHandler<AppEnv> {
  return async function runnerAuthMiddleware(c, next) {
    const secret = readConfig(c.env).runnerSecret;
    const fail = (why: string) =>
      new ApiError(401, `Runner authentication failed: ${why}.`, { code: 'invalid_runner_signature' });
    if (!secret)
      throw new ApiError(503, 'Runner authentication is not configured.', { code: 'runner_auth_not_configured' });
    const runnerId = c.req.header('x-runner-id') ?? '';
    const timestamp = c.req.header('x-runner-timestamp') ?? '';
    const nonce = c.req.header('x-runner-nonce') ?? '';
    const signature = c.req.header('x-runner-signature') ?? '';
    if (!RUNNER_ID.test(runnerId)) throw fail('missing or malformed x-runner-id');
    if (!TIMESTAMP.test(timestamp)) throw fail('missing or malformed x-runner-timestamp');
    if (!NONCE.test(nonce)) throw fail('missing or malformed x-runner-nonce (32 lowercase hex characters)');
    if (Math.abs(Date.now() / 1000 - Number(timestamp)) > RUNNER_CLOCK_SKEW_SECONDS)
      throw fail('timestamp outside the allowed window');
    if (!signature.startsWith('v2='))
      throw fail('x-runner-signature must be a v2= signature (v1 is no longer accepted; docs/runner-protocol.md)');
    const expected = await runnerSignature(secret, {
      timestamp,
      nonce,
      runnerId,
      method: c.req.method,
      path: new URL(c.req.url).pathname,
      body: c.get('rawBody'),
    });
    if (!timingSafeEqualStrings(signature, expected)) throw fail('bad signature');
    const guard = c.env.RUNNER_REPLAY_GUARD;
    const claim = await guard.get(guard.idFromName(runnerId)).claim(nonce, Number(timestamp));
    if (claim === 'stale') throw fail('timestamp outside the allowed window');
    if (claim === 'replayed')
      throw new ApiError(401, 'Runner authentication failed: this signed request was already used.', {
        code: 'runner_request_replayed',
      });
    c.set('runnerId', runnerId);
    await next();
  };
}
