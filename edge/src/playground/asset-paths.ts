/** Path of the page. */
export const PAGE_PATH = '/playground';
/** Folder the page's scripts and styles are served from (same origin, so the CSP needs no inline allowance). */
export const ASSET_BASE = `${PAGE_PATH}/assets/`;

/** URL path of a playground asset. @example assetPath('main.js') // '/playground/assets/main.js' */
export function assetPath(name: string): string {
  return `${ASSET_BASE}${name}`;
}
