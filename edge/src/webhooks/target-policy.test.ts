import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIpv4, formatIpv6 } from './ip-address';
import { IPV4_REFUSED, IPV6_RANGES } from './public-address';
import { checkWebhookTarget } from './target-policy';

const production = { allowPrivate: false, requireHttps: true };
const refused = (url: string) => checkWebhookTarget(url, production)?.code === 'private_webhook_target';
const accepted = (url: string) => checkWebhookTarget(url, production) === null;
const v4Url = (address: number) => `https://${formatIpv4(address)}/hook`;
const v6Url = (address: bigint) => `https://[${formatIpv6(address)}]/hook`;

// The registries as this test reads them (IANA IPv4/IPv6 Special-Purpose Address Registries, plus multicast, the
// reserved IPv4 block and deprecated site-local), written out independently of the implementation's table.
const IPV4_SPECIAL = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.0.2.0/24',
  '192.31.196.0/24',
  '192.52.193.0/24',
  '192.88.99.0/24',
  '192.168.0.0/16',
  '192.175.48.0/24',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/4',
  '240.0.0.0/4',
  '255.255.255.255/32',
];
/** Ranges judged by the IPv4 address they carry. */
const IPV6_EMBEDDING = ['::/96', '::ffff:0:0/96', '::ffff:0:0:0/96', '64:ff9b::/96', '2001::/32', '2002::/16'];
const IPV6_SPECIAL = [
  '::/128',
  '::1/128',
  ...IPV6_EMBEDDING,
  '64:ff9b:1::/48',
  '100::/64',
  '100:0:0:1::/64',
  '2001::/23',
  '2001:1::1/128',
  '2001:1::2/128',
  '2001:1::3/128',
  '2001:2::/48',
  '2001:3::/32',
  '2001:4:112::/48',
  '2001:10::/28',
  '2001:20::/28',
  '2001:30::/28',
  '2001:db8::/32',
  '2620:4f:8000::/48',
  '3fff::/20',
  '5f00::/16',
  'fc00::/7',
  'fe80::/10',
  'fec0::/10',
  'ff00::/8',
];

function v4Range(cidr: string): [number, number] {
  const [text, bits] = cidr.split('/');
  const base = text.split('.').reduce((value, octet) => value * 256 + Number(octet), 0);
  return [base, base + 2 ** (32 - Number(bits)) - 1];
}

function v6Range(cidr: string): [bigint, bigint] {
  const [text, bits] = cidr.split('/');
  const [head, tail] = text.split('::').map((part) => (part ? part.split(':') : []));
  const hextets = [...head, ...Array(8 - head.length - tail.length).fill('0'), ...tail];
  const base = BigInt(`0x${hextets.map((word) => word.padStart(4, '0')).join('')}`);
  return [base, base + (1n << BigInt(128 - Number(bits))) - 1n];
}

const inV4 = (address: number, cidr: string) => {
  const [first, last] = v4Range(cidr);
  return address >= first && address <= last;
};
const inV6 = (address: bigint, cidr: string) => {
  const [first, last] = v6Range(cidr);
  return address >= first && address <= last;
};
const isPublicV4 = (address: number) => !IPV4_SPECIAL.some((cidr) => inV4(address, cidr));
/** Public beyond doubt: global unicast and in no special-purpose range (embedding ranges depend on the address). */
const isPlainPublicV6 = (address: bigint) =>
  inV6(address, '2000::/3') && !IPV6_SPECIAL.some((cidr) => inV6(address, cidr));

describe('checkWebhookTarget', () => {
  it.each([
    'https://localhost/hook',
    'https://api.localhost/hook',
    'https://127.0.0.1/hook',
    'https://127.1.2.3:8443/hook',
    'https://10.0.0.5/hook',
    'https://172.16.0.1/hook',
    'https://192.168.1.1/hook',
    'https://169.254.169.254/latest/meta-data',
    'https://100.64.0.1/hook',
    'https://0.0.0.0/hook',
    'https://[::1]/hook',
    'https://[fe80::1]/hook',
    'https://[fd00::1]/hook',
    'https://[::ffff:127.0.0.1]/hook',
    // Accepted before (issue 12): mapped, SIIT-style, 6to4 of loopback and of the metadata address, site-local, discard.
    'https://[::ffff:0:7f00:1]/hook',
    'https://[2002:7f00:1::]/hook',
    'https://[2002:a9fe:a9fe::]/hook',
    'https://[fec0::1]/hook',
    'https://[100::1]/hook',
    'https://[64:ff9b::10.0.0.1]/hook',
    'https://[64:ff9b:1::8.8.8.8]/hook',
    'https://[2001:db8::1]/hook',
    'https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hook', // Teredo, client 192.0.2.45 (RFC 4380 example)
    'https://[2606:4700::5efe:10.1.2.3]/hook', // ISATAP interface id around a private IPv4 address
    'https://[2606:4700::200:5efe:127.0.0.1]/hook',
    'https://192.0.0.9/hook',
    'https://192.0.2.10/hook',
    'https://198.51.100.7/hook',
    'https://203.0.113.200/hook',
    'https://192.88.99.1/hook',
    'https://240.1.2.3/hook',
    'https://255.255.255.255/hook',
    'https://printer.local/hook',
    'https://metadata.google.internal/hook',
    'https://intranet/hook',
  ])('refuses %s in production', (url) => {
    expect(checkWebhookTarget(url, production)?.code).toBe('private_webhook_target');
  });

  it('accepts public https targets (an ISATAP interface id of a public IPv4 in a global prefix included)', () => {
    for (const url of [
      'https://hooks.example.com/kandinsky',
      'https://8.8.8.8/hook',
      'https://[2606:4700::1111]/hook',
      'https://[2606:4700::5efe:8.8.4.4]/hook',
    ])
      expect(checkWebhookTarget(url, production), url).toBeNull();
  });

  it('refuses every special-purpose IPv6 range outright, also when it carries a public IPv4 address', () => {
    for (const url of [
      'https://[::ffff:8.8.8.8]/hook',
      'https://[64:ff9b::1.1.1.1]/hook',
      'https://[2002:808:808::1]/hook',
      'https://[2001:0:808:808::f7f7:f7f7]/hook',
    ])
      expect(refused(url), url).toBe(true);
    expect(checkWebhookTarget('https://[::ffff:127.0.0.1]/hook', production)?.message).toMatch(/127\.0\.0\.1/);
  });

  it('sees through every IPv4 spelling, because URL normalises the host before the check', () => {
    const loopbackSpellings = [
      '2130706433',
      '0x7f000001',
      '0x7f.1',
      '127.1',
      '127.0.1',
      '0177.0.0.1',
      '017700000001',
      '127.0.0.1.',
    ];
    for (const host of loopbackSpellings) {
      expect(new URL(`https://${host}/`).hostname, host).toBe('127.0.0.1');
      expect(refused(`https://${host}/hook`), host).toBe(true);
    }
    expect(new URL('https://134744072/').hostname).toBe('8.8.8.8');
    expect(accepted('https://134744072/hook')).toBe(true);
    expect(accepted('https://0x8.0x8.0x8.0x8/hook')).toBe(true);
  });

  it('refuses IPv6 zone ids as invalid URLs', () => {
    expect(checkWebhookTarget('https://[fe80::1%25eth0]/hook', production)?.code).toBe('invalid_webhook_url');
  });

  it('refuses non-http schemes, credentials and plain http when https is required', () => {
    expect(checkWebhookTarget('ftp://example.com/x', production)?.code).toBe('invalid_webhook_url');
    expect(checkWebhookTarget('https://user:pw@example.com/x', production)?.code).toBe('invalid_webhook_url');
    expect(checkWebhookTarget('http://example.com/x', production)?.code).toBe('invalid_webhook_url');
    expect(checkWebhookTarget('not a url', production)?.code).toBe('invalid_webhook_url');
  });

  it('allows private targets only when the development flag is set', () => {
    expect(checkWebhookTarget('http://127.0.0.1:9999/hook', { allowPrivate: true, requireHttps: false })).toBeNull();
  });
});

describe('the address tables, range by range', () => {
  it('hold exactly the registries this test lists', () => {
    expect(IPV4_REFUSED.map((range) => range.cidr)).toEqual(IPV4_SPECIAL);
    expect(new Set(IPV6_RANGES.map((range) => range.cidr))).toEqual(new Set(IPV6_SPECIAL));
    expect(IPV6_RANGES.filter((range) => range.embedded).map((range) => range.cidr)).toEqual(
      expect.arrayContaining(IPV6_EMBEDDING),
    );
    expect(IPV6_RANGES.filter((range) => range.embedded)).toHaveLength(IPV6_EMBEDDING.length);
    for (const range of [...IPV4_REFUSED, ...IPV6_RANGES]) expect(range.rfc, range.cidr).toMatch(/^RFC \d+/);
  });

  it.each(IPV4_SPECIAL)('IPv4 %s: first and last address refused, public neighbours accepted', (cidr) => {
    const [first, last] = v4Range(cidr);
    expect(refused(v4Url(first)), formatIpv4(first)).toBe(true);
    expect(refused(v4Url(last)), formatIpv4(last)).toBe(true);
    for (const neighbour of [first - 1, last + 1]) {
      if (neighbour < 0 || neighbour > 0xffffffff || !isPublicV4(neighbour)) continue;
      expect(accepted(v4Url(neighbour)), formatIpv4(neighbour)).toBe(true);
    }
  });

  it.each(IPV6_SPECIAL)('IPv6 %s: first and last address refused, public neighbours accepted', (cidr) => {
    const [first, last] = v6Range(cidr);
    // Every range's first and last address is refused: embedding ranges carry 0.0.0.0 and 255.255.255.255 there.
    expect(refused(v6Url(first)), formatIpv6(first)).toBe(true);
    expect(refused(v6Url(last)), formatIpv6(last)).toBe(true);
    for (const neighbour of [first - 1n, last + 1n]) {
      if (neighbour < 0n || neighbour >= 1n << 128n || !isPlainPublicV6(neighbour)) continue;
      expect(accepted(v6Url(neighbour)), formatIpv6(neighbour)).toBe(true);
    }
  });

  it('refuses everything outside global unicast 2000::/3 that no range claims', () => {
    for (const url of ['https://[4000::1]/hook', 'https://[1fff:ffff::1]/hook', 'https://[e000::1]/hook'])
      expect(refused(url), url).toBe(true);
    expect(accepted('https://[2000::1]/hook')).toBe(true);
    expect(accepted('https://[3fff:1000::1]/hook')).toBe(true);
  });
});

describe('IPv4 addresses embedded in IPv6 (property)', () => {
  const PUBLIC_V4 = 0x08080808; // 8.8.8.8
  const v4 = fc.oneof(
    fc.integer({ min: 0, max: 0xffffffff }),
    // Bias towards the special ranges, whose edges matter most.
    fc.constantFrom(...IPV4_SPECIAL).chain((cidr) => {
      const [first, last] = v4Range(cidr);
      return fc.integer({ min: first, max: last });
    }),
  );
  const word = fc.bigInt({ min: 0n, max: 0xffffn });
  const forms: Record<string, (ipv4: number) => fc.Arbitrary<bigint>> = {
    mapped: (ipv4) => fc.constant((0xffffn << 32n) | BigInt(ipv4)),
    compatible: (ipv4) => fc.constant(BigInt(ipv4)),
    siit: (ipv4) => fc.constant((0xffffn << 48n) | BigInt(ipv4)),
    nat64: (ipv4) => fc.constant((0x64ff9bn << 96n) | BigInt(ipv4)),
    sixToFour: (ipv4) =>
      fc.bigInt({ min: 0n, max: (1n << 80n) - 1n }).map((rest) => (0x2002n << 112n) | (BigInt(ipv4) << 80n) | rest),
    teredoServer: (ipv4) =>
      word.map(
        (flags) =>
          (0x20010000n << 96n) | (BigInt(ipv4) << 64n) | (flags << 48n) | (0xffffn << 32n) | BigInt(~PUBLIC_V4 >>> 0),
      ),
    teredoClient: (ipv4) =>
      word.map((port) => (0x20010000n << 96n) | (BigInt(PUBLIC_V4) << 64n) | (port << 32n) | BigInt(~ipv4 >>> 0)),
    isatap: (ipv4) =>
      fc.constantFrom(0x00005efen, 0x02005efen).map((id) => (0x26064700n << 96n) | (id << 32n) | BigInt(ipv4)),
  };

  it.each(Object.keys(forms))(
    '%s: refused, always for the special-purpose forms, iff the IPv4 address is not public for ISATAP in a global prefix',
    (form) => {
      fc.assert(
        fc.property(
          v4.chain((ipv4) => forms[form](ipv4).map((address) => ({ ipv4, address }))),
          ({ ipv4, address }) => {
            // Written with hextets only, and with the last 32 bits as a dotted quad (URL re-serialises both).
            const hextets = formatIpv6(address).split(':');
            const dotted = `https://[${hextets.slice(0, 6).join(':')}:${formatIpv4(Number(address & 0xffffffffn))}]/hook`;
            const refusedAlways = form !== 'isatap';
            for (const url of [v6Url(address), dotted]) {
              expect(refused(url), `${formatIpv4(ipv4)} as ${url}`).toBe(refusedAlways || !isPublicV4(ipv4));
              expect(accepted(url), `${formatIpv4(ipv4)} as ${url}`).toBe(!refusedAlways && isPublicV4(ipv4));
              // A refusal says where a non-public embedded address leads (:: and ::1 are refused as themselves).
              if (!isPublicV4(ipv4) && address > 1n)
                expect(checkWebhookTarget(url, production)?.message, url).toContain(formatIpv4(ipv4));
            }
          },
        ),
        { numRuns: 500 },
      );
    },
  );
});
