import { parseIpv4, parseIpv6 } from './ip-address';
import { ipv4Problem, ipv6Problem } from './public-address';

/** Why a webhook URL was refused, or null when it is acceptable. */
export type WebhookTargetProblem = null | { code: 'invalid_webhook_url' | 'private_webhook_target'; message: string };

const BLOCKED_HOST_SUFFIXES = ['.localhost', '.local', '.internal', '.lan', '.home.arpa', '.intranet'];
/** A label WHATWG URL reads as a number (decimal, octal or hex), which makes the whole host an IPv4 address. */
const NUMERIC_LABEL = /^(?:0x[0-9a-f]*|\d+)$/;

/**
 * Checks a webhook URL: http(s) only (https in production), no credentials, and, unless `allowPrivate`, no IP literal
 * outside the public address space (src/webhooks/public-address.ts: every IANA special-purpose range, and IPv6 forms
 * embedding a non-public IPv4 address) and no obviously internal host name. IPv4 hosts in any spelling (`127.1`,
 * `0x7f.1`, `2130706433`) reach the check as dotted quads, because WHATWG URL parsing normalises them. Host names are
 * not resolved here (Workers cannot resolve DNS); on Cloudflare, outbound fetches do not reach private networks anyway.
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
  const refuse = (why: string): WebhookTargetProblem => ({
    code: 'private_webhook_target',
    message: `webhook_url points to a private, loopback, link-local or reserved address (${why}).`,
  });
  if (host.startsWith('[')) {
    const address = parseIpv6(host);
    // URL accepted it, so this cannot happen; refusing keeps an unparsed literal from passing as a name.
    if (address === null) return refuse('unparsable IPv6 literal');
    const problem = ipv6Problem(address);
    return problem ? refuse(problem) : null;
  }
  const ipv4 = parseIpv4(host);
  if (ipv4 !== null) {
    const problem = ipv4Problem(ipv4);
    return problem ? refuse(problem) : null;
  }
  // WHATWG URL turns a host whose last label is numeric into a dotted quad or fails; anything else here is not a name.
  if (NUMERIC_LABEL.test(host.split('.').at(-1) ?? '')) return refuse('numeric host that is not an IPv4 address');
  const internalName =
    host === 'localhost' || BLOCKED_HOST_SUFFIXES.some((suffix) => host.endsWith(suffix)) || !host.includes('.');
  return internalName ? refuse('internal host name') : null;
}
