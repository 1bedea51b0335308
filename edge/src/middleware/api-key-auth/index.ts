import type { MiddlewareHandler } from 'hono';
import { ApiError } from '../../errors/api-error';
import { sha256Hex } from '../../lib/crypto';
import type { AppEnv } from '../../types';

/** Shape of gateway API keys. */
export const API_KEY_PATTERN = /^kd_live_[0-9A-Za-z]{40}$/;

/**
 * Authenticates `Authorization: Bearer kd_live_…` and applies the key's token-bucket rate limit in one call to the
 * key's Durable Object (addressed by the key's SHA-256, so the plaintext never leaves this request).
 * Sets `c.get('apiKey')` and `x-ratelimit-*` headers; answers 401 for missing/unknown/revoked keys and 429 with
 * `Retry-After` when the bucket is empty.
 * @example app.use('/v1/jobs/*', apiKeyAuth());
 */
export function apiKeyAuth(): MiddlewareHandler<AppEnv> {
  return async function apiKeyAuthMiddleware(c, next) {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) {
      throw new ApiError(401, 'Missing API key. Send it as "Authorization: Bearer <key>".', {
        code: 'missing_api_key',
        headers: { 'www-authenticate': 'Bearer' },
      });
    }
    const invalid = new ApiError(401, 'Incorrect API key provided.', {
      code: 'invalid_api_key',
      headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
    });
    // Cheap format check first: malformed keys never cost a Durable Object call.
    if (!API_KEY_PATTERN.test(match[1])) throw invalid;
    const objectId = c.env.API_KEYS.idFromName(await sha256Hex(match[1]));
    const verdict = await c.env.API_KEYS.get(objectId).authorize(Date.now());
    if (verdict.kind === 'unknown' || verdict.kind === 'revoked') throw invalid;
    const rateHeaders: Record<string, string> = {
      'x-ratelimit-limit-requests': String(verdict.rate.limit),
      'x-ratelimit-remaining-requests': String(verdict.rate.remaining),
      'x-ratelimit-reset-requests': `${verdict.rate.resetSeconds}s`,
    };
    if (verdict.kind === 'rate_limited') {
      throw new ApiError(429, 'Rate limit reached for this API key; retry after the time in Retry-After.', {
        code: 'rate_limit_exceeded',
        headers: { ...rateHeaders, 'retry-after': String(verdict.rate.retryAfterSeconds) },
      });
    }
    c.set('apiKey', {
      id: verdict.record.id,
      tenant: verdict.record.tenant,
      objectId: objectId.toString(),
      maxRunningJobs: verdict.record.limits.max_running_jobs,
      webhookSecret: verdict.record.webhook_secret,
    });
    await next();
    for (const [name, value] of Object.entries(rateHeaders)) c.res.headers.set(name, value);
  };
}
