/**
 * Which IP addresses count as public webhook targets. An address is refused when it lies in a special-purpose range
 * of the IANA registries (IPv4 and IPv6 Special-Purpose Address Registries, plus multicast and the reserved space).
 * Every IPv6 form that carries an IPv4 address (mapped, compatible, translated, NAT64, 6to4, Teredo) is such a range
 * and is refused whatever it carries (no webhook receiver needs one; the refusal names the embedded IPv4 address when
 * that is not public either); an ISATAP interface identifier inside a global prefix is judged by its IPv4 address.
 */

import { formatIpv4 } from './ip-address';

/** A refused IPv4 range. */
export interface Ipv4Range {
  cidr: string;
  name: string;
  rfc: string;
}

/** A refused IPv6 range. */
export interface Ipv6Range {
  cidr: string;
  name: string;
  rfc: string;
  /** For forms that carry IPv4 addresses: where they are, so a refusal can say where the address leads. */
  embedded?: (address: bigint) => number[];
}

/** IANA IPv4 Special-Purpose Address Registry, with multicast and the reserved block (none of it is a webhook host). */
export const IPV4_REFUSED: readonly Ipv4Range[] = [
  { cidr: '0.0.0.0/8', name: '"this" network', rfc: 'RFC 791 §3.2' },
  { cidr: '10.0.0.0/8', name: 'private use', rfc: 'RFC 1918' },
  { cidr: '100.64.0.0/10', name: 'shared address space (carrier-grade NAT)', rfc: 'RFC 6598' },
  { cidr: '127.0.0.0/8', name: 'loopback', rfc: 'RFC 1122 §3.2.1.3' },
  { cidr: '169.254.0.0/16', name: 'link-local (cloud metadata)', rfc: 'RFC 3927' },
  { cidr: '172.16.0.0/12', name: 'private use', rfc: 'RFC 1918' },
  {
    cidr: '192.0.0.0/24',
    name: 'IETF protocol assignments (DS-Lite, PCP/TURN anycast, NAT64 discovery)',
    rfc: 'RFC 6890 §2.1',
  },
  { cidr: '192.0.2.0/24', name: 'documentation (TEST-NET-1)', rfc: 'RFC 5737' },
  { cidr: '192.31.196.0/24', name: 'AS112-v4', rfc: 'RFC 7535' },
  { cidr: '192.52.193.0/24', name: 'AMT', rfc: 'RFC 7450' },
  { cidr: '192.88.99.0/24', name: 'deprecated 6to4 relay anycast', rfc: 'RFC 7526' },
  { cidr: '192.168.0.0/16', name: 'private use', rfc: 'RFC 1918' },
  { cidr: '192.175.48.0/24', name: 'direct delegation AS112 service', rfc: 'RFC 7534' },
  { cidr: '198.18.0.0/15', name: 'benchmarking', rfc: 'RFC 2544' },
  { cidr: '198.51.100.0/24', name: 'documentation (TEST-NET-2)', rfc: 'RFC 5737' },
  { cidr: '203.0.113.0/24', name: 'documentation (TEST-NET-3)', rfc: 'RFC 5737' },
  { cidr: '224.0.0.0/4', name: 'multicast', rfc: 'RFC 5771' },
  { cidr: '240.0.0.0/4', name: 'reserved', rfc: 'RFC 1112 §4' },
  { cidr: '255.255.255.255/32', name: 'limited broadcast', rfc: 'RFC 8190, RFC 919 §7' },
];

const low32 = (address: bigint): number[] => [Number(address & 0xffffffffn)];

/**
 * IANA IPv6 Special-Purpose Address Registry, the deprecated site-local block and multicast; the entries with
 * `embedded` are the forms that carry an IPv4 address. Matching is longest-prefix, so the more specific entries inside
 * 2001::/23 (Teredo in particular) decide for their addresses.
 */
export const IPV6_RANGES: readonly Ipv6Range[] = [
  { cidr: '::/128', name: 'unspecified', rfc: 'RFC 4291 §2.5.2' },
  { cidr: '::1/128', name: 'loopback', rfc: 'RFC 4291 §2.5.3' },
  { cidr: '::/96', name: 'IPv4-compatible (deprecated)', rfc: 'RFC 4291 §2.5.5.1', embedded: low32 },
  { cidr: '::ffff:0:0/96', name: 'IPv4-mapped', rfc: 'RFC 4291 §2.5.5.2', embedded: low32 },
  { cidr: '::ffff:0:0:0/96', name: 'IPv4-translated (SIIT)', rfc: 'RFC 2765 §2.1', embedded: low32 },
  { cidr: '64:ff9b::/96', name: 'NAT64 well-known prefix', rfc: 'RFC 6052 §2.1', embedded: low32 },
  // Local-use NAT64 prefixes may put the IPv4 address at several offsets (RFC 6052 §2.2): refused whole.
  { cidr: '64:ff9b:1::/48', name: 'local-use IPv4/IPv6 translation', rfc: 'RFC 8215' },
  { cidr: '100::/64', name: 'discard-only', rfc: 'RFC 6666' },
  { cidr: '100:0:0:1::/64', name: 'dummy IPv6 prefix', rfc: 'RFC 9780' },
  { cidr: '2001::/23', name: 'IETF protocol assignments', rfc: 'RFC 2928' },
  {
    cidr: '2001::/32',
    name: 'Teredo',
    rfc: 'RFC 4380 §4',
    // Server IPv4 in bits 32-63, client IPv4 inverted ("obfuscated") in bits 96-127.
    embedded: (address) => [Number((address >> 64n) & 0xffffffffn), Number(~address & 0xffffffffn)],
  },
  { cidr: '2001:1::1/128', name: 'PCP anycast', rfc: 'RFC 7723' },
  { cidr: '2001:1::2/128', name: 'TURN anycast', rfc: 'RFC 8155' },
  { cidr: '2001:1::3/128', name: 'DNS-SD service registration protocol anycast', rfc: 'RFC 9665' },
  { cidr: '2001:2::/48', name: 'benchmarking', rfc: 'RFC 5180' },
  { cidr: '2001:3::/32', name: 'AMT', rfc: 'RFC 7450' },
  { cidr: '2001:4:112::/48', name: 'AS112-v6', rfc: 'RFC 7535' },
  { cidr: '2001:10::/28', name: 'ORCHID (deprecated)', rfc: 'RFC 4843' },
  { cidr: '2001:20::/28', name: 'ORCHIDv2', rfc: 'RFC 7343' },
  { cidr: '2001:30::/28', name: 'drone remote ID protocol entity tags', rfc: 'RFC 9374' },
  { cidr: '2001:db8::/32', name: 'documentation', rfc: 'RFC 3849' },
  {
    cidr: '2002::/16',
    name: '6to4',
    rfc: 'RFC 3056 §2',
    // The site's IPv4 address in bits 16-47.
    embedded: (address) => [Number((address >> 80n) & 0xffffffffn)],
  },
  { cidr: '2620:4f:8000::/48', name: 'direct delegation AS112 service', rfc: 'RFC 7534' },
  { cidr: '3fff::/20', name: 'documentation', rfc: 'RFC 9637' },
  { cidr: '5f00::/16', name: 'segment routing (SRv6) SIDs', rfc: 'RFC 9602' },
  { cidr: 'fc00::/7', name: 'unique local', rfc: 'RFC 4193' },
  { cidr: 'fe80::/10', name: 'link-local', rfc: 'RFC 4291 §2.5.6' },
  { cidr: 'fec0::/10', name: 'site-local (deprecated)', rfc: 'RFC 3879' },
  { cidr: 'ff00::/8', name: 'multicast', rfc: 'RFC 4291 §2.7' },
];

/** A parsed range: `first <= address <= last`. */
interface Span<T> {
  first: T;
  last: T;
  bits: number;
}

/** First and last address of an IPv4 CIDR (the table's own syntax: `a.b.c.d/n`). */
export function ipv4Span(cidr: string): Span<number> {
  const [text, bits] = cidr.split('/');
  const octets = text.split('.').map(Number);
  const base = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
  const size = 2 ** (32 - Number(bits));
  const first = base - (base % size);
  return { first, last: first + size - 1, bits: Number(bits) };
}

/** First and last address of an IPv6 CIDR written with `::` (the table's own syntax). */
export function ipv6Span(cidr: string): Span<bigint> {
  const [text, bits] = cidr.split('/');
  const [head, tail = ''] = text.split('::');
  const words = (part: string) => (part === '' ? [] : part.split(':').map((word) => BigInt(`0x${word}`)));
  const given = [...words(head), ...words(tail)];
  const all = text.includes('::')
    ? [...words(head), ...Array<bigint>(8 - given.length).fill(0n), ...words(tail)]
    : given;
  const base = all.reduce((value, word) => (value << 16n) | word, 0n);
  const hostBits = BigInt(128 - Number(bits));
  const first = (base >> hostBits) << hostBits;
  return { first, last: first + (1n << hostBits) - 1n, bits: Number(bits) };
}

const ipv4Spans = IPV4_REFUSED.map((range) => ({ range, ...ipv4Span(range.cidr) }));
const ipv6Spans = IPV6_RANGES.map((range) => ({ range, ...ipv6Span(range.cidr) }));
/** 2000::/3, the only block IANA allocates global unicast addresses from (RFC 4291 §2.4, IANA IPv6 Address Space). */
const GLOBAL_UNICAST = ipv6Span('2000::/3');
/** ISATAP interface identifiers `0:5efe:a.b.c.d` and `200:5efe:a.b.c.d` (RFC 5214 §6.1): IPv4 in the last 32 bits. */
const ISATAP_IDS = new Set([0x00005efe, 0x02005efe]);

/**
 * Why an IPv4 address is not a public webhook target (the range it lies in), or null when it is public.
 * @example ipv4Problem(0x7f000001) // '127.0.0.0/8 loopback (RFC 1122 §3.2.1.3)'
 */
export function ipv4Problem(address: number): string | null {
  const hit = ipv4Spans.find((span) => address >= span.first && address <= span.last);
  return hit ? `${hit.range.cidr} ${hit.range.name} (${hit.range.rfc})` : null;
}

/**
 * Why an IPv6 address is not a public webhook target, or null when it is public: an address in a special-purpose
 * range is refused (the most specific range is named, with the IPv4 address it embeds when that is not public);
 * outside them only global unicast 2000::/3 is accepted, and an ISATAP interface identifier is judged by its IPv4
 * address.
 * @example ipv6Problem(0xffff7f000001n) // '::ffff:0:0/96 IPv4-mapped ... -> 127.0.0.1: 127.0.0.0/8 loopback ...'
 */
export function ipv6Problem(address: bigint): string | null {
  let best: (typeof ipv6Spans)[number] | null = null;
  for (const span of ipv6Spans) {
    if (address >= span.first && address <= span.last && (!best || span.bits > best.bits)) best = span;
  }
  if (best) {
    const where = `${best.range.cidr} ${best.range.name} (${best.range.rfc})`;
    const embeddedProblem = best.range.embedded && firstEmbeddedProblem(best.range.embedded(address));
    return embeddedProblem ? `${where} -> ${embeddedProblem}` : where;
  }
  if (address < GLOBAL_UNICAST.first || address > GLOBAL_UNICAST.last) {
    return 'outside 2000::/3, the global unicast space (RFC 4291 §2.4)';
  }
  if (ISATAP_IDS.has(Number((address >> 32n) & 0xffffffffn))) {
    const embeddedProblem = firstEmbeddedProblem([Number(address & 0xffffffffn)]);
    if (embeddedProblem) return `ISATAP interface identifier (RFC 5214 §6.1) -> ${embeddedProblem}`;
  }
  return null;
}

function firstEmbeddedProblem(addresses: number[]): string | null {
  for (const v4 of addresses) {
    const problem = ipv4Problem(v4);
    if (problem) return `${formatIpv4(v4)}: ${problem}`;
  }
  return null;
}
