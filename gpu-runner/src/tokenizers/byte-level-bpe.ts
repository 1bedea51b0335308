/**
 * CLIP's byte-level BPE (transformers `CLIPTokenizer.bpe`): a word's UTF-8 bytes are mapped to printable characters
 * (GPT-2's `bytes_to_unicode`), the last symbol gets the end-of-word marker `</w>`, and the adjacent pair with the
 * lowest merge rank is merged repeatedly until no ranked pair is left.
 */
export class ByteLevelBpe {
  private readonly ranks = new Map<string, number>();
  private readonly passThrough: ReadonlyMap<string, string[]>;
  /** Words already merged. Bounded: a long-running server sees an unbounded number of distinct words. */
  private readonly cache = new Map<string, string[]>();

  /**
   * `merges` in rank order (the lines of merges.txt after the header; `null` for a malformed line, which still
   * takes a rank). A pair listed twice keeps its last rank, as the Python dict does.
   */
  constructor(
    merges: readonly (readonly [string, string] | null)[],
    passThrough: readonly string[],
    private readonly maxCacheEntries = 50_000,
  ) {
    merges.forEach((merge, rank) => {
      if (merge) this.ranks.set(pairKey(merge[0], merge[1]), rank);
    });
    // The reference seeds its cache with the special tokens, so they come back whole and without `</w>`.
    this.passThrough = new Map(passThrough.map((token) => [token, [token]]));
  }

  /** The BPE symbols of one pre-tokenized word (already byte-encoded with {@link byteEncode}). */
  encodeWord(word: string): string[] {
    const cached = this.passThrough.get(word) ?? this.cache.get(word);
    if (cached) return cached;
    const chars = Array.from(word);
    let symbols = [...chars.slice(0, -1), `${chars[chars.length - 1]}</w>`];
    while (symbols.length > 1) {
      let bestRank = Number.POSITIVE_INFINITY;
      let bestIndex = -1;
      for (let i = 0; i < symbols.length - 1; i++) {
        const rank = this.ranks.get(pairKey(symbols[i], symbols[i + 1]));
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          bestIndex = i;
        }
      }
      if (bestIndex < 0) break;
      const first = symbols[bestIndex];
      const second = symbols[bestIndex + 1];
      // Merge every occurrence of the pair, left to right, without overlaps.
      const merged: string[] = [];
      for (let i = 0; i < symbols.length; i++) {
        if (i < symbols.length - 1 && symbols[i] === first && symbols[i + 1] === second) {
          merged.push(first + second);
          i++;
        } else {
          merged.push(symbols[i]);
        }
      }
      symbols = merged;
    }
    if (this.cache.size >= this.maxCacheEntries) this.cache.clear();
    this.cache.set(word, symbols);
    return symbols;
  }
}

function pairKey(left: string, right: string): string {
  // Byte-encoded symbols never contain a space (0x20 maps to "Ġ"), so a space separates them unambiguously.
  return `${left} ${right}`;
}

/** GPT-2's `bytes_to_unicode`: printable Latin-1 bytes map to themselves, the other bytes to U+0100 upwards. */
const BYTE_TO_CHAR: readonly string[] = (() => {
  const isPrintable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const table: string[] = [];
  let next = 0;
  for (let b = 0; b < 256; b++) table[b] = String.fromCodePoint(isPrintable(b) ? b : 256 + next++);
  return table;
})();

const utf8Encoder = new TextEncoder();

/** Maps a string's UTF-8 bytes to the printable characters the BPE vocabulary is written in. */
export function byteEncode(text: string): string {
  let out = '';
  for (const byte of utf8Encoder.encode(text)) out += BYTE_TO_CHAR[byte];
  return out;
}
