/**
 * A tokenized batch, one row per prompt, every row exactly `maxLength` long: token ids (padded with the pad id on the
 * right) and the attention mask (1 for real tokens including the special start/end tokens, 0 for padding), as
 * transformers returns them for `padding="max_length", truncation=True`. Typed arrays so rows can be copied straight
 * into int32 tensors.
 */
export interface TokenizedBatch {
  inputIds: Int32Array[];
  attentionMask: Uint8Array[];
}

/** What to do with a prompt that has more tokens than fit in `maxLength`. */
export type OverflowPolicy =
  /** Keep the first `maxLength - 2` tokens and the closing special token, like transformers' `truncation=True`. */
  | 'truncate'
  /** Throw a `TokenizerError` with code `too-many-tokens`. */
  | 'error';

/** Per-call options of {@link PromptTokenizer.encode}. */
export interface EncodeOptions {
  /** Row length (special tokens included); defaults to the tokenizer's `maxLength` (77 for Kandinsky 2.1). */
  maxLength?: number;
  /** Defaults to `'truncate'`, which is what the Kandinsky pipelines do. */
  overflow?: OverflowPolicy;
}

/** Options shared by the tokenizer loaders. */
export interface TokenizerLoadOptions {
  /** Default row length; 77 (the text encoders' position count) unless the tokenizer files say otherwise. */
  maxLength?: number;
  /**
   * Longest prompt accepted, in UTF-16 code units (JavaScript string length, the measure zod's `.max()` uses).
   * Default 4,000: far above what fits in 77 tokens, low enough to bound the work per request.
   */
  maxPromptChars?: number;
}

/** A text tokenizer as the Kandinsky pipelines use it: a batch of prompts in, fixed-length ids and masks out. */
export interface PromptTokenizer {
  /**
   * Tokenizes a batch. Throws `TokenizerError` for a prompt that is not a string, is not well-formed UTF-16 or is
   * longer than `maxPromptChars` (and, with `overflow: 'error'`, for one with too many tokens).
   */
  encode(texts: readonly string[], options?: EncodeOptions): TokenizedBatch;
  /** The vocabulary strings of ids (e.g. to log what the model saw); unknown ids give `undefined`. */
  idsToTokens(ids: ArrayLike<number>): (string | undefined)[];
  /** Default row length. */
  readonly maxLength: number;
  /** Id used for padding. */
  readonly padId: number;
  /** Id that opens every row (`<s>` / `<|startoftext|>`). */
  readonly bosId: number;
  /** Id that closes the real tokens of every row (`</s>` / `<|endoftext|>`). */
  readonly eosId: number;
  /** Number of ids, special tokens included. */
  readonly vocabSize: number;
}
