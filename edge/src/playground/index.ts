import { Hono } from 'hono';
import { etag } from 'hono/etag';
import { readConfig } from '../config';
import { ApiError } from '../errors/api-error';
import type { AppEnv } from '../types';
import { ASSET_BASE, PAGE_PATH } from './asset-paths';
import { PLAYGROUND_ASSETS } from './assets';
import { playgroundCsp } from './csp';
import { PLAYGROUND_HTML } from './page';

/**
 * The web playground: the page at `/playground` (and `/` redirecting to it) and its scripts and styles under
 * `/playground/assets/`. Everything is same-origin, so the page's CSP allows no inline code; the page talks only to
 * the public API of this origin.
 * @example app.route('/', playgroundRoutes);
 */
export const playgroundRoutes = new Hono<AppEnv>();

const COMMON_HEADERS = {
  'x-content-type-options': 'nosniff',
  // Revalidate every load (ETag makes that a 304), so a deploy never mixes old and new modules.
  'cache-control': 'no-cache',
};

playgroundRoutes.get('/', (c) => c.redirect(PAGE_PATH, 302));
playgroundRoutes.get(`${PAGE_PATH}/`, (c) => c.redirect(PAGE_PATH, 301));

playgroundRoutes.get(PAGE_PATH, etag(), (c) => {
  const config = readConfig(c.env);
  c.header('content-security-policy', playgroundCsp(config.s3?.endpoint ?? null));
  // Signed result URLs must not leak through Referer when a user follows a link.
  c.header('referrer-policy', 'no-referrer');
  c.header('x-frame-options', 'DENY');
  for (const [name, value] of Object.entries(COMMON_HEADERS)) c.header(name, value);
  return c.html(PLAYGROUND_HTML);
});

playgroundRoutes.get(`${ASSET_BASE}:name`, etag(), (c) => {
  const name = c.req.param('name');
  const asset = PLAYGROUND_ASSETS.get(name);
  if (!asset) {
    throw new ApiError(404, `No playground asset named "${name.slice(0, 64)}".`, { code: 'asset_not_found' });
  }
  for (const [header, value] of Object.entries(COMMON_HEADERS)) c.header(header, value);
  c.header('content-type', asset.contentType);
  return c.body(asset.body);
});
