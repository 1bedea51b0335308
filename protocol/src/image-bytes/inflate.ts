import { adler32 } from './checksums.js';
import { ImageBytesError } from './errors.js';

/**
 * A zlib (RFC 1950) / deflate (RFC 1951) decoder that hands its output to a sink in pieces of at most 64 KiB and
 * keeps only the 32 KiB window: memory stays constant whatever the stream inflates to, and a sink that throws (the
 * PNG scanline reader, one byte past the declared size) stops it at once. Written here rather than using
 * `DecompressionStream` because Workers' implementation inflates every written chunk in full into its readable queue
 * with no backpressure (measured: a 845 KB stream queued all of its 128 MiB before the reader had taken 4 MiB), so a
 * zip bomb could not be bounded with it. It also knows where the stream ends, so bytes after it are detected exactly.
 * Validity rules follow zlib's inflate (so the runner's node:zlib agrees): over-subscribed or incomplete codes,
 * missing end-of-block code, distances beyond the output, bad stored lengths, reserved block types and symbols are
 * errors.
 */

const WINDOW = 32768;
const PIECE = 65536;
const LENGTH_BASE = [
  3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258,
];
const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [
  1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145,
  8193, 12289, 16385, 24577,
];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
const CODE_LENGTH_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

const corrupt = (what: string) => new ImageBytesError('corrupt', `zlib stream: ${what}`);

/**
 * A canonical Huffman code: `counts[len]` codes of each length, `symbols` ordered by (length, value), and a
 * `FAST_BITS` lookup table (`symbol << 4 | length`, 0 = longer code or none) for the common short codes. Building it
 * costs O(symbols + 2^FAST_BITS), so a stream of many tiny blocks cannot make the decoder fill large tables.
 */
interface Huffman {
  counts: Int32Array;
  symbols: Int32Array;
  fast: Int32Array;
}

const FAST_BITS = 9;

/**
 * Builds a canonical Huffman code from code lengths, refusing what zlib's `inflate_table` refuses: over-subscribed
 * sets always, incomplete sets unless `allowSingle` and the set is one code of length 1.
 */
function buildHuffman(lengths: ArrayLike<number>, allowSingle: boolean): Huffman {
  const counts = new Int32Array(16);
  for (let i = 0; i < lengths.length; i++) counts[lengths[i]]++;
  counts[0] = 0;
  let maxLength = 15;
  while (maxLength > 0 && counts[maxLength] === 0) maxLength--;
  const fast = new Int32Array(1 << FAST_BITS);
  if (maxLength === 0) return { counts, symbols: new Int32Array(0), fast }; // no codes: every lookup is invalid
  let left = 1;
  for (let len = 1; len <= 15; len++) {
    left = left * 2 - counts[len];
    if (left < 0) throw corrupt('over-subscribed Huffman code');
  }
  if (left > 0 && !(allowSingle && maxLength === 1)) throw corrupt('incomplete Huffman code');
  const offsets = new Int32Array(16);
  for (let len = 1; len < 15; len++) offsets[len + 1] = offsets[len] + counts[len];
  const symbols = new Int32Array(offsets[15] + counts[15]);
  const next = new Int32Array(16);
  for (let len = 1, code = 0; len <= 15; len++) {
    code = (code + counts[len - 1]) << 1;
    next[len] = code;
  }
  for (let symbol = 0; symbol < lengths.length; symbol++) {
    const len = lengths[symbol];
    if (len === 0) continue;
    symbols[offsets[len]++] = symbol;
    if (len > FAST_BITS) continue;
    const code = next[len]++;
    let reversed = 0;
    for (let i = 0; i < len; i++) reversed |= ((code >> i) & 1) << (len - 1 - i);
    for (let fill = reversed; fill < fast.length; fill += 1 << len) fast[fill] = (symbol << 4) | len;
  }
  return { counts, symbols, fast };
}

let fixed: { literals: Huffman; distances: Huffman } | undefined;

function fixedTables() {
  if (!fixed) {
    const literals = new Array<number>(288).fill(8, 0, 144).fill(9, 144, 256).fill(7, 256, 280).fill(8, 280, 288);
    fixed = { literals: buildHuffman(literals, false), distances: buildHuffman(new Array<number>(32).fill(5), false) };
  }
  return fixed;
}

/**
 * Inflates one zlib stream, calling `sink` with each piece of output (a view valid only during the call). Checks
 * the header, every block, the Adler-32 and that the stream ends exactly at the end of `data`.
 * @throws ImageBytesError `truncated` (input ends inside the stream), `bad_checksum` (Adler-32), `excess_data` (bytes
 *   after the stream), `corrupt` (anything else), or whatever `sink` throws.
 */
export function inflateZlib(data: Uint8Array, sink: (piece: Uint8Array) => void): void {
  if (data.length < 2) throw new ImageBytesError('truncated', 'zlib stream: ends inside its header');
  const [cmf, flg] = data;
  if ((cmf & 0x0f) !== 8 || cmf >> 4 > 7 || ((cmf << 8) | flg) % 31 !== 0) throw corrupt('invalid header');
  if ((flg & 0x20) !== 0) throw corrupt('needs a preset dictionary');

  let pos = 2;
  let bitBuf = 0;
  let bitCount = 0;
  const out = new Uint8Array(WINDOW + PIECE);
  let outPos = 0;
  let emitted = 0;
  let produced = 0;
  let adler = 1;

  const truncated = () => new ImageBytesError('truncated', 'zlib stream: input ends inside the stream');
  /** Loads bits until `n` are buffered or the input ends. */
  const fill = (n: number) => {
    while (bitCount < n && pos < data.length) {
      bitBuf |= data[pos++] << bitCount;
      bitCount += 8;
    }
  };
  const bits = (n: number) => {
    if (n === 0) return 0;
    fill(n);
    if (bitCount < n) throw truncated();
    const v = bitBuf & ((1 << n) - 1);
    bitBuf >>>= n;
    bitCount -= n;
    return v;
  };
  const decode = (h: Huffman) => {
    fill(15);
    const entry = h.fast[bitBuf & ((1 << FAST_BITS) - 1)];
    const len = entry & 15;
    if (len > 0) {
      if (len > bitCount) throw truncated();
      bitBuf >>>= len;
      bitCount -= len;
      return entry >> 4;
    }
    // A code longer than FAST_BITS (or none): walk the canonical code one bit at a time.
    let code = 0;
    let first = 0;
    let index = 0;
    for (let len = 1; len <= 15; len++) {
      if (len > bitCount) throw truncated();
      code |= (bitBuf >>> (len - 1)) & 1;
      const count = h.counts[len];
      if (code - first < count) {
        bitBuf >>>= len;
        bitCount -= len;
        return h.symbols[index + code - first];
      }
      index += count;
      first = (first + count) << 1;
      code <<= 1;
    }
    throw corrupt('invalid Huffman code');
  };
  const flush = () => {
    if (outPos > emitted) {
      const piece = out.subarray(emitted, outPos);
      adler = adler32(piece, adler);
      sink(piece);
    }
    if (outPos >= WINDOW + PIECE - 258) {
      out.copyWithin(0, outPos - WINDOW, outPos);
      outPos = WINDOW;
    }
    emitted = outPos;
  };

  for (let final = 0; !final; ) {
    final = bits(1);
    const type = bits(2);
    if (type === 0) {
      // To the next byte boundary: give back whole buffered bytes, drop the rest of the current one.
      pos -= bitCount >> 3;
      bitBuf = 0;
      bitCount = 0;
      if (pos + 4 > data.length) throw truncated();
      const len = data[pos] | (data[pos + 1] << 8);
      const nlen = data[pos + 2] | (data[pos + 3] << 8);
      pos += 4;
      if ((len ^ 0xffff) !== nlen) throw corrupt('invalid stored block lengths');
      for (let copied = 0; copied < len; ) {
        if (pos >= data.length) throw truncated();
        const n = Math.min(len - copied, data.length - pos, WINDOW + PIECE - outPos);
        out.set(data.subarray(pos, pos + n), outPos);
        outPos += n;
        pos += n;
        copied += n;
        produced += n;
        if (outPos === WINDOW + PIECE) flush();
      }
      continue;
    }
    let literals: Huffman;
    let distances: Huffman;
    if (type === 1) {
      ({ literals, distances } = fixedTables());
    } else if (type === 2) {
      const nlen = bits(5) + 257;
      const ndist = bits(5) + 1;
      const ncode = bits(4) + 4;
      if (nlen > 286 || ndist > 30) throw corrupt('too many length or distance symbols');
      const codeLengths = new Array<number>(19).fill(0);
      for (let i = 0; i < ncode; i++) codeLengths[CODE_LENGTH_ORDER[i]] = bits(3);
      const codeCode = buildHuffman(codeLengths, false);
      const lengths = new Array<number>(nlen + ndist).fill(0);
      for (let i = 0; i < nlen + ndist; ) {
        const symbol = decode(codeCode);
        if (symbol < 16) {
          lengths[i++] = symbol;
          continue;
        }
        let repeat: number;
        let value = 0;
        if (symbol === 16) {
          if (i === 0) throw corrupt('invalid bit length repeat');
          value = lengths[i - 1];
          repeat = 3 + bits(2);
        } else repeat = symbol === 17 ? 3 + bits(3) : 11 + bits(7);
        if (i + repeat > nlen + ndist) throw corrupt('invalid bit length repeat');
        while (repeat-- > 0) lengths[i++] = value;
      }
      if (lengths[256] === 0) throw corrupt('missing end-of-block code');
      literals = buildHuffman(lengths.slice(0, nlen), true);
      distances = buildHuffman(lengths.slice(nlen), true);
    } else {
      throw corrupt('invalid block type');
    }
    for (;;) {
      const symbol = decode(literals);
      if (symbol < 256) {
        out[outPos++] = symbol;
        produced++;
      } else if (symbol === 256) {
        break;
      } else {
        const li = symbol - 257;
        if (li >= 29) throw corrupt('invalid literal/length code');
        const length = LENGTH_BASE[li] + bits(LENGTH_EXTRA[li]);
        const di = decode(distances);
        if (di >= 30) throw corrupt('invalid distance code');
        const distance = DIST_BASE[di] + bits(DIST_EXTRA[di]);
        if (distance > produced) throw corrupt('invalid distance too far back');
        for (let k = 0; k < length; k++) out[outPos + k] = out[outPos + k - distance];
        outPos += length;
        produced += length;
      }
      if (outPos >= WINDOW + PIECE - 258) flush();
    }
  }
  flush();
  // The Adler-32 follows at the next byte boundary.
  pos -= bitCount >> 3;
  if (pos + 4 > data.length) throw truncated();
  const stored = ((data[pos] << 24) | (data[pos + 1] << 16) | (data[pos + 2] << 8) | data[pos + 3]) >>> 0;
  if (stored !== adler) throw new ImageBytesError('bad_checksum', 'zlib stream: incorrect data check (Adler-32)');
  if (pos + 4 !== data.length) {
    throw new ImageBytesError(
      'excess_data',
      `zlib stream: ${data.length - pos - 4} bytes follow the end of the stream`,
    );
  }
}
