/** Why a webhook URL was refused, or null when it is acceptable. */
export type WebhookTargetProblem = null | { code: 'invalid_webhook_url' | 'private_webhook_target'; message: string };

const BLOCKED_HOST_SUFFIXES = ['.localhost', '.local', '.internal', '.lan', '.home.arpa', '.intranet'];

function ipv4Octets(host: string): number[] | null {
  const parts = host.split('.');
  if (parts.length !== 4 || !parts.every((part) => /^\d{1,3}$/.test(part))) return null;
  const octets = parts.map(Number);
  return octets.every((octet) => octet <= 255) ? octets : null;
}

function isPrivateIpv4([a, b]: number[]): boolean {
  return (
    a === 0 || // "this" network
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) || // carrier-grade NAT
    (a === 169 && b === 254) || // link-local, cloud metadata
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0) ||
    (a === 198 && (b === 18 || b === 19)) || // benchmarking
    a >= 224 // multicast, reserved, broadcast
  );
}

function isPrivateIpv6(host: string): boolean {
  const address = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (address === '::' || address === '::1') return true;
  // IPv4-mapped/compatible forms (::ffff:a.b.c.d is normalised by URL to ::ffff:xxxx:xxxx): judge the embedded IPv4.
  const mapped = /^::(?:ffff:)?([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(address);
  if (mapped) {
    const high = Number.parseInt(mapped[1], 16);
    const low = Number.parseInt(mapped[2], 16);
    return isPrivateIpv4([high >> 8, high & 255, low >> 8, low & 255]);
  }
  const first = Number.parseInt(address.split(':')[0] || '0', 16);
  return (
    (first & 0xfe00) === 0xfc00 || // unique local fc00::/7
    (first & 0xffc0) === 0xfe80 || // link-local fe80::/10
    (first & 0xff00) === 0xff00 || // multicast
    address.startsWith('64:ff9b:') // NAT64 can reach IPv4 private space
  );
}

/**
 * Checks a webhook URL: http(s) only (https in production), no credentials, and, unless `allowPrivate`, no
 * loopback/private/link-local IP literals or obviously internal host names. Host names are not resolved here (Workers
 * cannot resolve DNS); on Cloudflare, outbound fetches do not reach private networks anyway.
 * @example checkWebhookTarget('http://127.0.0.1/hook', { allowPrivate: false, requireHttps: true })
 */
export function checkWebhookTarget(
  raw: string,
  options: { allowPrivate: boolean; requireHttps: boolean },
): WebhookTargetProblem {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { code: 'invalid_webhook_url', message: 'webhook_url is not a valid absolute URL.' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return { code: 'invalid_webhook_url', message: 'webhook_url must use http or https.' };
  }
  if (options.requireHttps && url.protocol !== 'https:') {
    return { code: 'invalid_webhook_url', message: 'webhook_url must use https.' };
  }
  if (url.username || url.password) {
    return { code: 'invalid_webhook_url', message: 'webhook_url must not contain credentials.' };
  }
  if (options.allowPrivate) return null;
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  const octets = ipv4Octets(host);
  const blocked =
    host === 'localhost' ||
    BLOCKED_HOST_SUFFIXES.some((suffix) => host.endsWith(suffix)) ||
    (!host.includes('.') && !host.startsWith('[')) ||
    (octets !== null && isPrivateIpv4(octets)) ||
    (host.startsWith('[') && isPrivateIpv6(host));
  return blocked
    ? { code: 'private_webhook_target', message: 'webhook_url points to a private, loopback or link-local address.' }
    : null;
}
