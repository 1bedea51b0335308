import {
  RUNNER_CLOCK_SKEW_SECONDS,
  RUNNER_ID_PATTERN,
  RUNNER_NONCE_PATTERN,
  RUNNER_SIGNATURE_VERSION,
  RUNNER_TIMESTAMP_PATTERN,
} from '@kandinsky/protocol';
import type { MiddlewareHandler } from 'hono';
import { readConfig } from '../../config';
import { ApiError } from '../../errors/api-error';
import { timingSafeEqualStrings } from '../../lib/crypto';
import type { AppEnv } from '../../types';
import { runnerSignature } from './signature';

export { type RunnerRequestParts, runnerSignature } from './signature';

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
    if (!RUNNER_ID_PATTERN.test(runnerId)) throw fail('missing or malformed x-runner-id');
    if (!RUNNER_TIMESTAMP_PATTERN.test(timestamp)) throw fail('missing or malformed x-runner-timestamp');
    if (!RUNNER_NONCE_PATTERN.test(nonce))
      throw fail('missing or malformed x-runner-nonce (32 lowercase hex characters)');
    if (Math.abs(Date.now() / 1000 - Number(timestamp)) > RUNNER_CLOCK_SKEW_SECONDS)
      throw fail('timestamp outside the allowed window');
    if (!signature.startsWith(`${RUNNER_SIGNATURE_VERSION}=`))
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
