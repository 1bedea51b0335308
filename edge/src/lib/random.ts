const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * A uniformly random base62 string from the platform CSPRNG (rejection sampling, no modulo bias).
 * @example randomToken(32) // 'h3Kf…' (~190 bits)
 */
export function randomToken(length: number): string {
  let out = '';
  while (out.length < length) {
    const bytes = crypto.getRandomValues(new Uint8Array(length * 2));
    for (const byte of bytes) {
      if (byte < 248 && out.length < length) out += ALPHABET[byte % 62];
    }
  }
  return out;
}

/** A random uint32, used as the default seed so every job records the seed it ran with. */
export function randomUint32(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}
