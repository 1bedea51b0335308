/** How long the drain waits for the next chunk of a body before it gives up on the client. */
export const DRAIN_IDLE_MS = 500;
/** Most bytes drained (Cloudflare refuses larger request bodies before a Worker runs). */
export const DRAIN_MAX_BYTES = 100 * 1024 * 1024;

/**
 * Reads and discards what is left of `request`'s body after the Worker answered, without waiting on a client that
 * stopped sending: reading ends when the body ends, when no chunk arrives for `idleMs`, or after `maxBytes`.
 * Resolves to how it ended.
 *
 * Why: under `wrangler dev` a proxy Worker forwards each request to the edge Worker in a second workerd, and a
 * response sent while the proxy still streams the request body is sometimes lost (a 503 "worker restarted
 * mid-request", or headers without their body), so wrangler wraps the Worker in a middleware that drains every
 * unread body before the response leaves. That middleware waits for the whole declared length: a client declaring
 * `Content-Length: 999999999999` and sending two bytes got no answer at all, where the deployed Worker refuses it at
 * once with 413. This drain keeps the protection for real bodies and stops waiting for bodies that are not coming.
 * Even a declared length far above `maxBytes` is read until idle: answering before the proxy's forwarding settles is
 * what loses responses.
 */
export async function drainUnreadBody(
  request: Request,
  opts: { idleMs?: number; maxBytes?: number } = {},
): Promise<'none' | 'drained' | 'idle' | 'too_large' | 'unreadable'> {
  const idleMs = opts.idleMs ?? DRAIN_IDLE_MS;
  const maxBytes = opts.maxBytes ?? DRAIN_MAX_BYTES;
  if (request.body === null || request.bodyUsed) return 'none';
  let reader: ReadableStreamDefaultReader<Uint8Array>;
  try {
    reader = request.body.getReader();
  } catch {
    // Locked by a reader the Worker kept: it owns the body.
    return 'unreadable';
  }
  let total = 0;
  try {
    for (;;) {
      let timer!: ReturnType<typeof setTimeout>;
      const idle = new Promise<'idle'>((resolve) => {
        timer = setTimeout(() => resolve('idle'), idleMs);
      });
      const next = await Promise.race([reader.read(), idle]).finally(() => clearTimeout(timer));
      if (next === 'idle') {
        await reader.cancel().catch(() => {});
        return 'idle';
      }
      if (next.done) return 'drained';
      total += next.value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => {});
        return 'too_large';
      }
    }
  } catch {
    return 'unreadable';
  }
}
