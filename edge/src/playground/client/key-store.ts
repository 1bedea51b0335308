/**
 * Browser module `key-store.js`: the API key lives in this browser's localStorage only; the page sends it nowhere but
 * this origin's API.
 */
// biome-ignore lint/complexity/noUselessStringRaw: browser code must reach the page verbatim, backslashes included.
export const KEY_STORE_JS = String.raw`
const STORAGE_NAME = 'kandinsky-playground.api-key';

/** The saved key, or '' (also when storage is blocked). */
export function loadKey() {
  try {
    return localStorage.getItem(STORAGE_NAME) ?? '';
  } catch {
    return '';
  }
}

/** Saves the key, or forgets it when blank. @param {string} key */
export function saveKey(key) {
  try {
    if (key) localStorage.setItem(STORAGE_NAME, key);
    else localStorage.removeItem(STORAGE_NAME);
  } catch {
    // Storage blocked (private mode, policy): the key then lives only as long as the page.
  }
}
`;
