import type { MiddlewareHandler } from 'hono';
import { ApiError } from '../../errors/api-error';

/**
 * Reads the request body into `c.get('rawBody')`, refusing more than `maxBytes` with 413 before buffering it all:
 * the declared Content-Length is checked first, then the stream is counted (chunked uploads have no length).
 * Later steps (JSON/multipart parsing, runner signature checks) work on these exact bytes.
 * @example app.post('/v1/jobs', readBody({ maxBytes: 64 * 1024 }), handler);
 */
export function readBody(options: { maxBytes: number }): MiddlewareHandler {
  const { maxBytes } = options;
  return async function readBodyMiddleware(c, next) {
    const tooLarge = () =>
      new ApiError(413, `Request body exceeds the limit of ${maxBytes} bytes.`, { code: 'request_too_large' });
    const declared = c.req.header('content-length');
    if (declared !== undefined && Number(declared) > maxBytes) throw tooLarge();
    const body = c.req.raw.body;
    if (!body) {
      c.set('rawBody', new Uint8Array(0));
      return next();
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    const reader = body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => {});
        throw tooLarge();
      }
      chunks.push(value);
    }
    const bytes = new Uint8Array(total);
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.byteLength;
    }
    c.set('rawBody', bytes);
    return next();
  };
}
