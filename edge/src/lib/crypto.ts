const encoder = new TextEncoder();

/** Lowercase hex of bytes. */
export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let out = '';
  for (const byte of view) out += byte.toString(16).padStart(2, '0');
  return out;
}

/** Standard base64 of bytes. */
export function toBase64(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let binary = '';
  for (let i = 0; i < view.length; i += 0x8000) binary += String.fromCharCode(...view.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** Decodes standard base64; throws on invalid input. */
export function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/**
 * Hex SHA-256 of a string or bytes.
 * @example await sha256Hex('') // 'e3b0c442…'
 */
export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  const bytes = typeof data === 'string' ? encoder.encode(data) : arrayBufferView(data);
  return toHex(await crypto.subtle.digest('SHA-256', bytes));
}

/** HMAC-SHA256 of `message` under `key`. */
export async function hmacSha256(key: string | Uint8Array, message: string): Promise<ArrayBuffer> {
  const keyBytes = typeof key === 'string' ? encoder.encode(key) : arrayBufferView(key);
  const cryptoKey = await crypto.subtle.importKey('raw', keyBytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return crypto.subtle.sign('HMAC', cryptoKey, encoder.encode(message));
}

/**
 * The bytes typed as ArrayBuffer-backed, as the DOM typings of WebCrypto demand (the Workers typings do not). Nothing
 * here is backed by a SharedArrayBuffer: bodies and keys come from Request/TextEncoder.
 */
function arrayBufferView(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes as Uint8Array<ArrayBuffer>;
}

/** Compares two strings in time independent of where they differ (length is not secret here). */
export function timingSafeEqualStrings(a: string, b: string): boolean {
  const left = encoder.encode(a);
  const right = encoder.encode(b);
  if (left.length !== right.length) return false;
  // workerd provides crypto.subtle.timingSafeEqual; it is not in the DOM typings.
  return (crypto.subtle as unknown as { timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean }).timingSafeEqual(
    left,
    right,
  );
}
