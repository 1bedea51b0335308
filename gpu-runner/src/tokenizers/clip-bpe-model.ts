import { ByteLevelBpe, byteEncode } from './byte-level-bpe.js';
import { cleanClipText } from './clip-text-cleaner.js';
import type { TextToIds } from './padded-prompt-tokenizer.js';
import { splitOnSpecialTokens } from './special-token-splitter.js';

/** CLIP's pre-tokenizer pattern (transformers `CLIPTokenizer.pat`, compiled with IGNORECASE). */
const CLIP_WORD_PATTERN =
  /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+/giu;

/**
 * The reference keeps only this many merges: `merges.txt` lines 1 .. 49152-256-2 (the header line is skipped), which
 * is every merge of the real CLIP file.
 */
export const CLIP_MAX_MERGES = 49152 - 256 - 2;

/** The special tokens of a CLIP tokenizer, by their strings. */
export interface ClipSpecialTokens {
  bos: string;
  eos: string;
  unk: string;
  pad: string;
}

/**
 * CLIP's text-to-ids step (transformers `CLIPTokenizer` without `ftfy`): special tokens written in the prompt are
 * kept whole; every other stretch is cleaned ({@link cleanClipText}), split by CLIP's word pattern, byte-encoded and
 * BPE-merged, and unknown symbols become the unknown token's id.
 */
export class ClipBpeModel implements TextToIds {
  private readonly bpe: ByteLevelBpe;
  private readonly idToTokenMap = new Map<number, string>();
  private readonly unkId: number;
  private readonly specialTokens: { content: string; lstrip: boolean; rstrip: boolean }[];

  constructor(
    private readonly vocab: ReadonlyMap<string, number>,
    merges: readonly (readonly [string, string] | null)[],
    specials: ClipSpecialTokens,
  ) {
    this.bpe = new ByteLevelBpe(merges.slice(0, CLIP_MAX_MERGES), ['<|startoftext|>', '<|endoftext|>']);
    for (const [token, id] of vocab) this.idToTokenMap.set(id, token);
    this.unkId = this.requireId(specials.unk);
    const contents = [...new Set([specials.bos, specials.eos, specials.unk, specials.pad])];
    this.specialTokens = contents.map((content) => ({ content, lstrip: false, rstrip: false }));
  }

  get vocabSize(): number {
    return this.vocab.size;
  }

  /** The id of a token that must be in the vocabulary. */
  requireId(token: string): number {
    const id = this.vocab.get(token);
    if (id === undefined) throw new RangeError(`token ${JSON.stringify(token)} is not in the vocabulary`);
    return id;
  }

  /** The BPE tokens of one stretch of text (no special-token handling). */
  tokenize(text: string): string[] {
    const tokens: string[] = [];
    for (const [word] of cleanClipText(text).matchAll(CLIP_WORD_PATTERN)) {
      tokens.push(...this.bpe.encodeWord(byteEncode(word)));
    }
    return tokens;
  }

  textToIds(text: string): number[] {
    const ids: number[] = [];
    for (const segment of splitOnSpecialTokens(text, this.specialTokens)) {
      if (segment.kind === 'special') ids.push(this.requireId(segment.content));
      else for (const token of this.tokenize(segment.text)) ids.push(this.vocab.get(token) ?? this.unkId);
    }
    return ids;
  }

  idToToken(id: number): string | undefined {
    return this.idToTokenMap.get(id);
  }
}
