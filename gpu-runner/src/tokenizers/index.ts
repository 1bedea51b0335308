/**
 * Prompt tokenizers of the Kandinsky 2.1 port: XLM-RoBERTa (decoder text encoder, SentencePiece unigram) and CLIP
 * (prior text encoder, byte-level BPE), reproducing transformers' slow tokenizers with
 * `padding="max_length", truncation=True`.
 */
export { loadClipTokenizer } from './clip-tokenizer.js';
export { TokenizerError, type TokenizerErrorCode } from './errors.js';
export { DEFAULT_MAX_PROMPT_CHARS } from './input-validation.js';
export type {
  EncodeOptions,
  OverflowPolicy,
  PromptTokenizer,
  TokenizedBatch,
  TokenizerLoadOptions,
} from './types.js';
export { createXlmRobertaTokenizer, loadXlmRobertaTokenizer } from './xlm-roberta-tokenizer.js';
