import { API_CLIENT_JS } from './client/api-client';
import { FIELD_ERRORS_JS } from './client/field-errors';
import { FUSE_LIST_JS } from './client/fuse-list';
import { GALLERY_JS } from './client/gallery';
import { KEY_STORE_JS } from './client/key-store';
import { MAIN_JS } from './client/main';
import { MASK_BRUSH_JS } from './client/mask-brush';
import { OUTPUT_SIZE_JS } from './client/output-size';
import { PROGRESS_VIEW_JS } from './client/progress-view';
import { REQUEST_BUILDER_JS } from './client/request-builder';
import { SSE_PARSER_JS } from './client/sse-parser';
import { TABS_JS } from './client/tabs';
import { PLAYGROUND_CSS } from './styles';

/** A static file of the playground. */
export interface PlaygroundAsset {
  body: string;
  contentType: string;
}

const JS = 'text/javascript; charset=utf-8';

/** Four overlapping circles in the spirit of Kandinsky's "Several Circles". */
const FAVICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#1e1e23"/>' +
  '<circle cx="13" cy="14" r="9" fill="#4b3fd1" opacity=".9"/><circle cx="21" cy="19" r="7" fill="#ff2d6f" opacity=".8"/>' +
  '<circle cx="20" cy="10" r="4" fill="#ffc400" opacity=".9"/><circle cx="10" cy="23" r="3" fill="#34c3a0"/></svg>';

/**
 * Every file the page loads, by name under `/playground/assets/`. The browser modules import each other by these
 * names (`./api-client.js`), so a name here is part of their contract.
 */
export const PLAYGROUND_ASSETS: ReadonlyMap<string, PlaygroundAsset> = new Map([
  ['favicon.svg', { body: FAVICON_SVG, contentType: 'image/svg+xml' }],
  ['playground.css', { body: PLAYGROUND_CSS, contentType: 'text/css; charset=utf-8' }],
  ['main.js', { body: MAIN_JS, contentType: JS }],
  ['api-client.js', { body: API_CLIENT_JS, contentType: JS }],
  ['sse-parser.js', { body: SSE_PARSER_JS, contentType: JS }],
  ['request-builder.js', { body: REQUEST_BUILDER_JS, contentType: JS }],
  ['field-errors.js', { body: FIELD_ERRORS_JS, contentType: JS }],
  ['fuse-list.js', { body: FUSE_LIST_JS, contentType: JS }],
  ['gallery.js', { body: GALLERY_JS, contentType: JS }],
  ['key-store.js', { body: KEY_STORE_JS, contentType: JS }],
  ['mask-brush.js', { body: MASK_BRUSH_JS, contentType: JS }],
  ['output-size.js', { body: OUTPUT_SIZE_JS, contentType: JS }],
  ['progress-view.js', { body: PROGRESS_VIEW_JS, contentType: JS }],
  ['tabs.js', { body: TABS_JS, contentType: JS }],
]);
