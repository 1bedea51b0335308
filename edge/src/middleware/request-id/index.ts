import type { MiddlewareHandler } from 'hono';
import { randomToken } from '../../lib/random';

/** Header carrying the request id on every response. */
export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * Gives every request a fresh id (`req_…`), exposed as `c.get('requestId')` and the `x-request-id` response header,
 * including on error responses. Client-supplied ids are not trusted: they would let callers forge log correlation.
 * @example app.use(requestId());
 */
export function requestId(): MiddlewareHandler {
  return async function requestIdMiddleware(c, next) {
    const id = `req_${randomToken(24)}`;
    c.set('requestId', id);
    await next();
    c.res.headers.set(REQUEST_ID_HEADER, id);
  };
}
