import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { readConfig } from './config';
import { ApiError } from './errors/api-error';
import { errorResponse } from './errors/error-response';
import { requestId } from './middleware/request-id';
import { playgroundRoutes } from './playground';
import { adminRoutes } from './routes/admin';
import { docsRoutes } from './routes/docs';
import { imageRoutes } from './routes/images';
import { jobRoutes } from './routes/jobs';
import { runnerRoutes } from './routes/runner';
import type { AppEnv } from './types';

/** Response headers browsers may read. */
const EXPOSED_HEADERS = [
  'x-request-id',
  'x-job-id',
  'x-ratelimit-limit-requests',
  'x-ratelimit-remaining-requests',
  'x-ratelimit-reset-requests',
  'retry-after',
  'location',
  'preference-applied',
  'idempotent-replayed',
];

/**
 * Builds the gateway: request ids and CORS for every route, one error path, then the public, runner and admin APIs.
 * @example export default { fetch: createApp().fetch };
 */
export function createApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(requestId());
  app.use(
    cors({
      origin: (origin, c) => {
        const allowed = readConfig(c.env).corsOrigins;
        return allowed.includes('*') ? '*' : allowed.includes(origin) ? origin : null;
      },
      allowMethods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
      allowHeaders: ['authorization', 'content-type', 'idempotency-key', 'prefer'],
      exposeHeaders: EXPOSED_HEADERS,
      maxAge: 600,
    }),
  );
  app.onError(errorResponse);
  app.notFound((c) =>
    errorResponse(
      new ApiError(404, `No route for ${c.req.method} ${new URL(c.req.url).pathname}.`, { code: 'route_not_found' }),
      c,
    ),
  );

  app.get('/healthz', (c) => c.json({ ok: true }));
  app.route('/', docsRoutes);
  app.route('/v1/images', imageRoutes);
  app.route('/v1/jobs', jobRoutes);
  app.route('/v1/runner', runnerRoutes);
  app.route('/v1/admin', adminRoutes);
  app.route('/', playgroundRoutes);
  return app;
}
