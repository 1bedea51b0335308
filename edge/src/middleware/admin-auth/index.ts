import type { MiddlewareHandler } from 'hono';
import { readConfig } from '../../config';
import { ApiError } from '../../errors/api-error';
import { sha256Hex, timingSafeEqualStrings } from '../../lib/crypto';
import type { AppEnv } from '../../types';

/**
 * Guards admin routes with `Authorization: Bearer <ADMIN_TOKEN>`. Without a configured token the admin API is off (503).
 * @example app.use('/v1/admin/*', adminAuth());
 */
export function adminAuth(): MiddlewareHandler<AppEnv> {
  return async function adminAuthMiddleware(c, next) {
    const token = readConfig(c.env).adminToken;
    if (!token) throw new ApiError(503, 'The admin API is not configured.', { code: 'admin_not_configured' });
    const presented = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '')?.[1] ?? '';
    // Compare digests so the comparison is constant-time regardless of length.
    if (!timingSafeEqualStrings(await sha256Hex(presented), await sha256Hex(token))) {
      throw new ApiError(401, 'Invalid admin token.', { code: 'invalid_admin_token' });
    }
    await next();
  };
}
