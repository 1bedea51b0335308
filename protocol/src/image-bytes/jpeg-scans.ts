import { ImageBytesError } from './errors.js';
import type { JpegHuffmanTable, JpegScan, JpegStructure } from './jpeg-structure.js';

/**
 * Huffman-decodes every scan of a JPEG without dequantising or transforming anything, to hold the entropy-coded data
 * to the frame: every MCU of every restart interval must decode from the data present (libjpeg would otherwise warn
 * "premature end of data segment" and fill the rest with gray), every code must exist ("bad Huffman code"), and
 * progressive refinement scans read exactly the correction bits the earlier scans imply (tracked per coefficient, as
 * libjpeg's decoder does). Bytes left after an interval's last MCU are allowed (libjpeg skips them too: at most an
 * "extraneous bytes" warning, no pixel comes from them).
 */

/** A table ready for decoding: 8-bit lookahead (`length << 8 | symbol`, 0 = longer code) and per-length bounds. */
interface Decoder {
  lookahead: Int32Array;
  maxCode: Int32Array;
  valueOffset: Int32Array;
  symbols: Uint8Array;
}

const decoders = new WeakMap<JpegHuffmanTable, Decoder>();

function decoderOf(table: JpegHuffmanTable): Decoder {
  let d = decoders.get(table);
  if (d) return d;
  const maxCode = new Int32Array(18).fill(-1);
  const valueOffset = new Int32Array(17);
  const lookahead = new Int32Array(256);
  let code = 0;
  let index = 0;
  for (let len = 1; len <= 16; len++) {
    const count = table.counts[len - 1];
    valueOffset[len] = index - code;
    for (let i = 0; i < count; i++, index++, code++) {
      if (len <= 8) {
        const shift = 8 - len;
        for (let fill = code << shift; fill < (code + 1) << shift; fill++) {
          lookahead[fill] = (len << 8) | table.symbols[index];
        }
      }
    }
    maxCode[len] = count > 0 ? code - 1 : -1;
    code <<= 1;
  }
  maxCode[17] = 0x7fffffff; // sentinel: no code is longer than 16 bits
  d = { lookahead, maxCode, valueOffset, symbols: table.symbols };
  decoders.set(table, d);
  return d;
}

/** MSB-first bit reader over one restart interval's bytes, undoing byte stuffing (FF 00 -> FF). */
class Bits {
  private pos = 0;
  private acc = 0;
  private count = 0;

  constructor(private readonly data: Uint8Array) {}

  private fill(): void {
    while (this.count <= 24 && this.pos < this.data.length) {
      const byte = this.data[this.pos++];
      // Inside an interval every FF is followed by (fill FFs and) a stuffed 00: the data byte is FF.
      if (byte === 0xff) {
        while (this.data[this.pos] === 0xff) this.pos++;
        this.pos++;
      }
      this.acc = ((this.acc << 8) | byte) >>> 0;
      this.count += 8;
    }
  }

  bits(n: number): number {
    if (n === 0) return 0;
    if (this.count < n) this.fill();
    if (this.count < n) throw ranOut();
    this.count -= n;
    return (this.acc >>> this.count) & ((1 << n) - 1);
  }

  decode(d: Decoder): number {
    if (this.count < 16) this.fill();
    if (this.count >= 8) {
      const entry = d.lookahead[(this.acc >>> (this.count - 8)) & 0xff];
      if (entry !== 0) {
        this.count -= entry >> 8;
        return entry & 0xff;
      }
    }
    let code = 0;
    for (let len = 1; len <= 16; len++) {
      code = (code << 1) | this.bits(1);
      if (code <= d.maxCode[len]) return d.symbols[d.valueOffset[len] + code];
    }
    throw new ImageBytesError('corrupt', 'JPEG scan data has a bad Huffman code');
  }
}

const ranOut = () => new ImageBytesError('truncated', 'JPEG scan data ends before its last MCU');

/** Per component: which coefficients (zigzag order) are non-zero, 64 flags per block, for progressive refinement. */
type NonZero = Uint8Array | undefined;

function scanBlocks(frame: JpegStructure, scan: JpegScan): { component: number; blocksPerMcu: number }[] {
  return scan.components.map((c) => ({
    component: c,
    blocksPerMcu: scan.components.length === 1 ? 1 : frame.components[c].h * frame.components[c].v,
  }));
}

/**
 * Decodes all scans' entropy-coded data (see the module comment).
 * @throws ImageBytesError `truncated` when an interval's data ends before its MCUs do, `corrupt` for a bad code.
 */
export function verifyJpegScans(jpeg: JpegStructure): void {
  const nonZero: NonZero[] = jpeg.components.map(() => undefined);
  const progressive = jpeg.process === 'progressive';
  for (const scan of jpeg.scans) {
    const layout = scanBlocks(jpeg, scan);
    const dc = scan.dcTables.map((t) => (t ? decoderOf(t) : undefined));
    const ac = scan.acTables.map((t) => (t ? decoderOf(t) : undefined));
    const perInterval = scan.restartInterval > 0 ? scan.restartInterval : scan.mcus;
    const refining = scan.ah > 0;
    const band = scan.ss > 0;
    let mcu = 0;
    for (const interval of scan.intervals) {
      const bits = new Bits(interval);
      const end = Math.min(scan.mcus, mcu + perInterval);
      let eobRun = 0;
      for (; mcu < end; mcu++) {
        for (let i = 0; i < layout.length; i++) {
          for (let b = 0; b < layout[i].blocksPerMcu; b++) {
            if (!progressive) {
              decodeSequentialBlock(bits, dc[i]!, ac[i]!);
            } else if (!band) {
              if (refining) bits.bits(1);
              else {
                const s = bits.decode(dc[i]!);
                bits.bits(s);
              }
            } else {
              // AC scans have one component: one block per MCU, in the component's block order.
              const c = layout[i].component;
              nonZero[c] ??= new Uint8Array(scan.mcus * 64);
              const flags = nonZero[c];
              eobRun = refining
                ? refineAcBlock(bits, ac[i]!, scan, flags, mcu * 64, eobRun)
                : firstAcBlock(bits, ac[i]!, scan, flags, mcu * 64, eobRun);
            }
          }
        }
      }
    }
  }
}

function decodeSequentialBlock(bits: Bits, dc: Decoder, ac: Decoder): void {
  bits.bits(bits.decode(dc));
  for (let k = 1; k < 64; k++) {
    const rs = bits.decode(ac);
    const r = rs >> 4;
    const s = rs & 15;
    if (s) {
      k += r;
      bits.bits(s);
    } else {
      if (r !== 15) break;
      k += 15;
    }
  }
}

/** libjpeg's decode_mcu_AC_first for one block; returns the EOB run left. */
function firstAcBlock(
  bits: Bits,
  ac: Decoder,
  scan: JpegScan,
  flags: Uint8Array,
  base: number,
  eobRun: number,
): number {
  if (eobRun > 0) return eobRun - 1;
  for (let k = scan.ss; k <= scan.se; k++) {
    const rs = bits.decode(ac);
    const r = rs >> 4;
    const s = rs & 15;
    if (s) {
      k += r;
      const raw = bits.bits(s);
      const value = raw < 1 << (s - 1) ? raw - (1 << s) + 1 : raw;
      // libjpeg stores value << Al in a 16-bit coefficient (garbage data can make that 0, which later refinement
      // scans then treat as zero), at natural_order[k], which is position 63 for every k past 63.
      if (((value << scan.al) & 0xffff) !== 0) flags[base + Math.min(k, 63)] = 1;
    } else {
      if (r !== 15) {
        let run = 1 << r;
        if (r) run += bits.bits(r);
        return run - 1;
      }
      k += 15;
    }
  }
  return 0;
}

/** libjpeg's decode_mcu_AC_refine for one block; returns the EOB run left. */
function refineAcBlock(
  bits: Bits,
  ac: Decoder,
  scan: JpegScan,
  flags: Uint8Array,
  base: number,
  eobRun: number,
): number {
  let k = scan.ss;
  if (eobRun === 0) {
    for (; k <= scan.se; k++) {
      const rs = bits.decode(ac);
      let r = rs >> 4;
      const s = rs & 15;
      if (s) {
        if (s !== 1) throw new ImageBytesError('corrupt', 'JPEG refinement scan has a bad Huffman code');
        bits.bits(1);
      } else if (r !== 15) {
        eobRun = 1 << r;
        if (r) eobRun += bits.bits(r);
        break;
      }
      do {
        if (flags[base + Math.min(k, 63)]) bits.bits(1);
        else if (--r < 0) break;
        k++;
      } while (k <= scan.se);
      if (s) flags[base + Math.min(k, 63)] = 1;
    }
  }
  if (eobRun > 0) {
    for (; k <= scan.se; k++) if (flags[base + k]) bits.bits(1);
    eobRun--;
  }
  return eobRun;
}
