import type { MiddlewareHandler } from 'hono';
import { readConfig } from '../../config';
import { ApiError } from '../../errors/api-error';
import { hmacSha256, sha256Hex, timingSafeEqualStrings, toHex } from '../../lib/crypto';
import type { AppEnv } from '../../types';

/** Accepted clock difference between runner and edge, in seconds. */
export const RUNNER_CLOCK_SKEW_SECONDS = 300;
const RUNNER_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * The signature a runner sends (docs/runner-protocol.md): `v1=` + hex HMAC-SHA256 over
 * `timestamp \n METHOD \n path \n hex(sha256(body))`.
 * @example await runnerSignature(secret, '1700000000', 'POST', '/v1/runner/lease', bodyBytes)
 */
export async function runnerSignature(
  secret: string,
  timestamp: string,
  method: string,
  path: string,
  body: Uint8Array,
): Promise<string> {
  const canonical = `${timestamp}\n${method.toUpperCase()}\n${path}\n${await sha256Hex(body)}`;
  return `v1=${toHex(await hmacSha256(secret, canonical))}`;
}

/**
 * Verifies runner requests signed with RUNNER_SECRET and a timestamp within ±300 s. Must run after `readBody()`.
 * Sets `c.get('runnerId')`. Every failure is the same 401 so probes learn nothing.
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
    const signature = c.req.header('x-runner-signature') ?? '';
    if (!RUNNER_ID.test(runnerId)) throw fail('missing or malformed x-runner-id');
    if (!/^\d{1,12}$/.test(timestamp)) throw fail('missing or malformed x-runner-timestamp');
    if (Math.abs(Date.now() / 1000 - Number(timestamp)) > RUNNER_CLOCK_SKEW_SECONDS)
      throw fail('timestamp outside the allowed window');
    const expected = await runnerSignature(
      secret,
      timestamp,
      c.req.method,
      new URL(c.req.url).pathname,
      c.get('rawBody'),
    );
    if (!timingSafeEqualStrings(signature, expected)) throw fail('bad signature');
    c.set('runnerId', runnerId);
    await next();
  };
}
