import { Hono } from 'hono';
import { DOCS_PAGE } from '../openapi/docs-page';
import { openApiDocument } from '../openapi/document';
import type { AppEnv } from '../types';

/** `GET /openapi.json` (OpenAPI 3.1) and `GET /docs` (a page rendering it). */
export const docsRoutes = new Hono<AppEnv>();

docsRoutes.get('/openapi.json', (c) => {
  c.header('cache-control', 'public, max-age=300');
  return c.json(openApiDocument());
});

docsRoutes.get('/docs', (c) => {
  c.header('content-security-policy', "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'");
  return c.html(DOCS_PAGE);
});
