/**
 * Strict parsers for IP address literals, to 32-bit and 128-bit integers, so address policy is arithmetic on numbers
 * (prefix tables) instead of pattern matching on text.
 */

const DECIMAL_OCTET = /^(?:0|[1-9]\d{0,2})$/;
const HEXTET = /^[0-9a-fA-F]{1,4}$/;

/**
 * Parses a dotted-quad IPv4 address (`a.b.c.d`, decimal, no leading zeros, each <= 255) to an unsigned 32-bit
 * integer; null for anything else. The other IPv4 spellings (`127.1`, `0x7f.1`, `2130706433`, octal) are not accepted
 * here: WHATWG URL parsing turns them into this form first.
 * @example parseIpv4('192.0.2.1') // 0xc0000201
 */
export function parseIpv4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((part) => DECIMAL_OCTET.test(part))) return null;
  const octets = parts.map(Number);
  if (octets.some((octet) => octet > 255)) return null;
  return ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
}

/** `a.b.c.d` of an unsigned 32-bit address. */
export function formatIpv4(address: number): string {
  return [address >>> 24, (address >>> 16) & 255, (address >>> 8) & 255, address & 255].join('.');
}

/**
 * Parses an IPv6 address (RFC 4291 §2.2: eight hextets, at most one `::`, optionally ending in a dotted-quad IPv4
 * address that stands for the last two hextets) to a 128-bit bigint; null for anything else, including zone ids
 * (`fe80::1%eth0`), which never name a remote host. Surrounding brackets (`[::1]`, as URL hostnames carry them) are
 * accepted.
 * @example parseIpv6('[::ffff:127.0.0.1]') // 0xffff7f000001n
 */
export function parseIpv6(text: string): bigint | null {
  const address = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (address.length === 0 || address.length > 45) return null;
  const halves = address.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] === '' ? [] : halves[0].split(':');
  const tail = halves.length === 2 ? (halves[1] === '' ? [] : halves[1].split(':')) : [];
  // A dotted quad may only be the very last group (`1.2.3.4::` is not an address).
  const lastGroups = halves.length === 2 ? tail : head;
  let embeddedIpv4: number | null = null;
  if (lastGroups.at(-1)?.includes('.')) {
    embeddedIpv4 = parseIpv4(lastGroups.pop() as string);
    if (embeddedIpv4 === null) return null;
  }
  const hextets = [...head, ...tail];
  if (!hextets.every((group) => HEXTET.test(group))) return null;
  const given = hextets.length + (embeddedIpv4 === null ? 0 : 2);
  // Without `::` exactly eight groups; with it, `::` must stand for at least one zero group.
  if (halves.length === 1 ? given !== 8 : given > 7) return null;
  const words = [
    ...head.map((group) => Number.parseInt(group, 16)),
    ...Array<number>(8 - given).fill(0),
    ...tail.map((group) => Number.parseInt(group, 16)),
  ];
  if (embeddedIpv4 !== null) words.push(embeddedIpv4 >>> 16, embeddedIpv4 & 0xffff);
  let value = 0n;
  for (const word of words) value = (value << 16n) | BigInt(word);
  return value;
}

/** The eight hextets of a 128-bit address, uncompressed (`0:0:0:0:0:ffff:7f00:1`). */
export function formatIpv6(address: bigint): string {
  const words: string[] = [];
  for (let i = 7; i >= 0; i--) words.push(((address >> BigInt(i * 16)) & 0xffffn).toString(16));
  return words.join(':');
}
