import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIpv4, formatIpv6, parseIpv4, parseIpv6 } from './ip-address';

const words = (...hextets: number[]) => hextets.reduce((value, word) => (value << 16n) | BigInt(word), 0n);

describe('parseIpv4', () => {
  it('reads dotted quads only', () => {
    expect(parseIpv4('0.0.0.0')).toBe(0);
    expect(parseIpv4('192.0.2.1')).toBe(0xc0000201);
    expect(parseIpv4('255.255.255.255')).toBe(0xffffffff);
    for (const bad of [
      '',
      '1.2.3',
      '1.2.3.4.5',
      '256.0.0.1',
      '01.2.3.4',
      '1.2.3.-4',
      '0x7f.0.0.1',
      '1..2.3',
      ' 1.2.3.4',
    ])
      expect(parseIpv4(bad), bad).toBeNull();
  });
});

describe('parseIpv6', () => {
  it('reads every compression and an embedded dotted quad', () => {
    expect(parseIpv6('::')).toBe(0n);
    expect(parseIpv6('::1')).toBe(1n);
    expect(parseIpv6('[::1]')).toBe(1n);
    expect(parseIpv6('1::')).toBe(words(1, 0, 0, 0, 0, 0, 0, 0));
    expect(parseIpv6('1:2:3:4:5:6:7::')).toBe(words(1, 2, 3, 4, 5, 6, 7, 0));
    expect(parseIpv6('::2:3:4:5:6:7:8')).toBe(words(0, 2, 3, 4, 5, 6, 7, 8));
    expect(parseIpv6('1:2::7:8')).toBe(words(1, 2, 0, 0, 0, 0, 7, 8));
    expect(parseIpv6('0001:0002:0003:0004:0005:0006:0007:0008')).toBe(words(1, 2, 3, 4, 5, 6, 7, 8));
    expect(parseIpv6('FFFF:fFfF::')).toBe(words(0xffff, 0xffff, 0, 0, 0, 0, 0, 0));
    expect(parseIpv6('::ffff:127.0.0.1')).toBe(words(0, 0, 0, 0, 0, 0xffff, 0x7f00, 1));
    expect(parseIpv6('::127.0.0.1')).toBe(words(0, 0, 0, 0, 0, 0, 0x7f00, 1));
    expect(parseIpv6('1:2:3:4:5:6:1.2.3.4')).toBe(words(1, 2, 3, 4, 5, 6, 0x102, 0x304));
    expect(parseIpv6('64:ff9b::10.0.0.1')).toBe(words(0x64, 0xff9b, 0, 0, 0, 0, 0x0a00, 1));
  });

  it('refuses malformed text and zone ids', () => {
    for (const bad of [
      '',
      ':',
      ':::',
      '1::2::3',
      ':1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7:',
      '1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7:8:9',
      '1::2:3:4:5:6:7:8',
      '12345::',
      'g::',
      '::ffff:1.2.3',
      '::ffff:256.1.1.1',
      '::ffff:01.2.3.4',
      '1.2.3.4::',
      '::1.2.3.4:5',
      '1:2:3:4:5:6:7:1.2.3.4',
      'fe80::1%eth0',
      '[fe80::1%25eth0]',
      '[::1',
      '::1]',
    ])
      expect(parseIpv6(bad), bad).toBeNull();
  });

  it('reads any spelling of any address back to the same 128 bits', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), spellingOptions(), (address, spelling) => {
        const text = spell(address, spelling);
        expect(parseIpv6(text), text).toBe(address);
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees with the WHATWG URL parser on what is an address and which one', () => {
    // URL's IPv6 parser is an independent implementation: same acceptance, same value (it re-serialises canonically).
    const alphabet = fc.constantFrom(...'0123456789abcdef:.'.split(''), ':', '::', '0', 'ffff', '1.2.3.4', '255');
    fc.assert(
      fc.property(fc.array(alphabet, { minLength: 1, maxLength: 14 }), (parts) => {
        const text = parts.join('');
        let viaUrl: bigint | null;
        try {
          viaUrl = parseIpv6(new URL(`http://[${text}]/`).hostname);
        } catch {
          viaUrl = null;
        }
        expect(parseIpv6(text), text).toBe(viaUrl);
      }),
      { numRuns: 5000 },
    );
  });

  it('formats what it parses', () => {
    expect(formatIpv6(parseIpv6('::ffff:127.0.0.1')!)).toBe('0:0:0:0:0:ffff:7f00:1');
    expect(formatIpv4(parseIpv4('203.0.113.9')!)).toBe('203.0.113.9');
  });
});

interface Spelling {
  compressAt: number;
  dotted: boolean;
  upper: boolean;
  pad: boolean;
}

function spellingOptions() {
  return fc.record({
    compressAt: fc.integer({ min: -1, max: 7 }),
    dotted: fc.boolean(),
    upper: fc.boolean(),
    pad: fc.boolean(),
  });
}

/** An independent RFC 4291 §2.2 writer: optional `::` over the zero run starting at `compressAt`, optional dotted quad. */
function spell(address: bigint, { compressAt, dotted, upper, pad }: Spelling): string {
  const hextets = Array.from({ length: 8 }, (_, i) => Number((address >> BigInt((7 - i) * 16)) & 0xffffn));
  const groups = hextets.map((word) => {
    const hex = pad ? word.toString(16).padStart(4, '0') : word.toString(16);
    return upper ? hex.toUpperCase() : hex;
  });
  if (dotted) {
    const v4 = (hextets[6] << 16) | hextets[7];
    groups.splice(6, 2, [v4 >>> 24, (v4 >>> 16) & 255, (v4 >>> 8) & 255, v4 & 255].join('.'));
  }
  const width = dotted ? 7 : 8;
  let end = compressAt;
  // Compress the run of zero hextets starting at compressAt (dotted quads are never part of it).
  while (end >= 0 && end < width - (dotted ? 1 : 0) && hextets[end] === 0) end++;
  if (compressAt < 0 || end === compressAt) return groups.join(':');
  return `${groups.slice(0, compressAt).join(':')}::${groups.slice(end).join(':')}`;
}
