import { DartsDoubleArray } from './darts-double-array.js';
import type { SentencePieceNormalizerSpec } from './sentencepiece-model.js';

/** U+2581 LOWER ONE EIGHTH BLOCK, SentencePiece's visible stand-in for a space. */
export const SPACE_SYMBOL = '\u2581';
const SPACE_SYMBOL_UTF8 = [0xe2, 0x96, 0x81] as const;
const SPACE = 0x20;

/**
 * SentencePiece's text normalizer (`normalizer::Normalizer` in sentencepiece 0.1.97), byte for byte:
 * the model's own compiled rules (`precompiled_charsmap`, e.g. `nmt_nfkc` = NFKC plus whitespace/control-character
 * rules) applied by longest match on UTF-8 bytes, user-defined symbols passed through untouched, leading/trailing/
 * repeated spaces dropped, the dummy `▁` prefix added and spaces escaped to `▁`.
 *
 * Running the compiled rules (instead of `String.prototype.normalize('NFKC')`) is what makes the output identical to
 * the reference: the rules were compiled from the Unicode version the model was trained with, and `nmt_nfkc` adds
 * rules NFKC does not have (see the test for the measured differences).
 */
export class SentencePieceNormalizer {
  private readonly replacements = new Map<number, Uint8Array>();
  private readonly userDefinedSymbols: Uint8Array[];

  private constructor(
    private readonly spec: SentencePieceNormalizerSpec,
    private readonly treatWhitespaceAsSuffix: boolean,
    private readonly rules: { trie: DartsDoubleArray; normalized: Uint8Array } | undefined,
    userDefinedSymbols: readonly string[],
  ) {
    const encoder = new TextEncoder();
    this.userDefinedSymbols = userDefinedSymbols.map((symbol) => encoder.encode(symbol));
  }

  /**
   * Builds the normalizer of a model. `userDefinedSymbols` are the model's USER_DEFINED pieces, which the reference
   * never normalizes. Throws `RangeError` when the compiled rules are malformed.
   */
  static create(
    spec: SentencePieceNormalizerSpec,
    options: { treatWhitespaceAsSuffix: boolean; userDefinedSymbols: readonly string[] },
  ): SentencePieceNormalizer {
    return new SentencePieceNormalizer(
      spec,
      options.treatWhitespaceAsSuffix,
      decodePrecompiledCharsmap(spec.precompiledCharsmap),
      options.userDefinedSymbols,
    );
  }

  /** Normalizes one piece of text the way `SentencePieceProcessor::Encode` does before segmentation. */
  normalize(text: string): string {
    const input = new TextEncoder().encode(text);
    const out = new ByteBuilder(input.length * 3 + 8);
    const spec = this.spec;
    let pos = 0;

    if (spec.removeExtraWhitespaces) {
      while (pos < input.length) {
        const [replacement, consumed] = this.normalizePrefix(input, pos);
        if (!(replacement.length === 1 && replacement[0] === SPACE)) break;
        pos += consumed;
      }
    }
    if (pos >= input.length) return '';

    const addWhitespace = () => {
      if (spec.escapeWhitespaces) out.pushAll(SPACE_SYMBOL_UTF8);
      else out.push(SPACE);
    };
    if (!this.treatWhitespaceAsSuffix && spec.addDummyPrefix) addWhitespace();

    let isPrevSpace = spec.removeExtraWhitespaces;
    while (pos < input.length) {
      const [replacement, consumed] = this.normalizePrefix(input, pos);
      let start = 0;
      // Drop spaces that would follow a space: collapses runs of whitespace into one.
      while (isPrevSpace && start < replacement.length && replacement[start] === SPACE) start++;
      if (start < replacement.length) {
        for (let i = start; i < replacement.length; i++) {
          if (spec.escapeWhitespaces && replacement[i] === SPACE) out.pushAll(SPACE_SYMBOL_UTF8);
          else out.push(replacement[i]);
        }
        isPrevSpace = replacement[replacement.length - 1] === SPACE;
      }
      pos += consumed;
      if (!spec.removeExtraWhitespaces) isPrevSpace = false;
    }

    if (spec.removeExtraWhitespaces) {
      const trailing = spec.escapeWhitespaces ? SPACE_SYMBOL_UTF8 : [SPACE];
      while (out.endsWith(trailing)) out.truncate(out.length - trailing.length);
    }
    if (this.treatWhitespaceAsSuffix && spec.addDummyPrefix) addWhitespace();
    return new TextDecoder().decode(out.bytes());
  }

  /** `Normalizer::NormalizePrefix`: the replacement for the longest rule matching at `pos`, and the bytes it consumes. */
  private normalizePrefix(input: Uint8Array, pos: number): [replacement: Uint8Array, consumed: number] {
    const userDefined = this.matchUserDefined(input, pos);
    if (userDefined > 0) return [input.subarray(pos, pos + userDefined), userDefined];

    const match = this.rules?.trie.longestPrefix(input, pos, input.length);
    if (match) {
      const [value, length] = match;
      return [this.replacementAt(value), length];
    }
    // No rule: the character passes through unchanged (input is valid UTF-8, TextEncoder guarantees it).
    const length = Math.min(utf8CharLength(input[pos]), input.length - pos);
    return [input.subarray(pos, pos + length), length];
  }

  private matchUserDefined(input: Uint8Array, pos: number): number {
    let longest = 0;
    for (const symbol of this.userDefinedSymbols) {
      if (symbol.length <= longest || pos + symbol.length > input.length) continue;
      let matches = true;
      for (let i = 0; i < symbol.length && matches; i++) matches = input[pos + i] === symbol[i];
      if (matches) longest = symbol.length;
    }
    return longest;
  }

  /** The NUL-terminated replacement string stored at `offset` in the rules' string blob. */
  private replacementAt(offset: number): Uint8Array {
    let cached = this.replacements.get(offset);
    if (!cached) {
      const normalized = this.rules!.normalized;
      if (offset >= normalized.length) throw new RangeError(`charsmap replacement offset ${offset} is out of range`);
      let end = normalized.indexOf(0, offset);
      if (end < 0) end = normalized.length;
      cached = normalized.subarray(offset, end);
      this.replacements.set(offset, cached);
    }
    return cached;
  }
}

/** Splits `precompiled_charsmap` = <uint32 LE trie size><double-array trie><NUL-separated replacement strings>. */
function decodePrecompiledCharsmap(blob: Uint8Array): { trie: DartsDoubleArray; normalized: Uint8Array } | undefined {
  if (blob.length === 0) return undefined;
  if (blob.length <= 4) throw new RangeError('precompiled_charsmap is broken: shorter than its header');
  const trieSize = new DataView(blob.buffer, blob.byteOffset, 4).getUint32(0, true);
  if (trieSize >= blob.length - 4) {
    throw new RangeError(`precompiled_charsmap is broken: trie size ${trieSize} exceeds the blob (${blob.length})`);
  }
  return {
    trie: DartsDoubleArray.fromBytes(blob.subarray(4, 4 + trieSize)),
    normalized: blob.subarray(4 + trieSize),
  };
}

/** Length of the UTF-8 sequence introduced by `leadByte` (1 for stray continuation bytes). */
function utf8CharLength(leadByte: number): number {
  if (leadByte < 0xc0) return 1;
  if (leadByte < 0xe0) return 2;
  if (leadByte < 0xf0) return 3;
  return 4;
}

/** A growable byte buffer. */
class ByteBuilder {
  private buffer: Uint8Array;
  length = 0;

  constructor(capacity: number) {
    this.buffer = new Uint8Array(Math.max(16, capacity));
  }

  push(byte: number): void {
    if (this.length === this.buffer.length) {
      const grown = new Uint8Array(this.buffer.length * 2);
      grown.set(this.buffer);
      this.buffer = grown;
    }
    this.buffer[this.length++] = byte;
  }

  pushAll(bytes: ArrayLike<number>): void {
    for (let i = 0; i < bytes.length; i++) this.push(bytes[i]);
  }

  endsWith(suffix: ArrayLike<number>): boolean {
    if (suffix.length > this.length) return false;
    const start = this.length - suffix.length;
    for (let i = 0; i < suffix.length; i++) if (this.buffer[start + i] !== suffix[i]) return false;
    return true;
  }

  truncate(length: number): void {
    this.length = length;
  }

  bytes(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }
}
