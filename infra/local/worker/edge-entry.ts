/**
 * The edge Worker as the local stack runs it under `wrangler dev`: exactly the deployed entry (`edge/src/index.ts`,
 * same app and Durable Object classes), with wrangler's dev-only body-draining middleware (turned off by
 * WRANGLER_DISABLE_REQUEST_BODY_DRAINING) replaced by {@link drainUnreadBody}, which does not wait forever on a body
 * the client never sends.
 */
import type { Env } from '../../../edge/src/env';
import edge from '../../../edge/src/index';
import { drainUnreadBody } from './drain-body';

export * from '../../../edge/src/index';

export default {
  async fetch(request, env, ctx) {
    try {
      return await edge.fetch(request, env, ctx);
    } finally {
      await drainUnreadBody(request);
    }
  },
} satisfies ExportedHandler<Env>;
