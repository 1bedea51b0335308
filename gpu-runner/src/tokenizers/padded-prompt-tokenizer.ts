import { TokenizerError } from './errors.js';
import { DEFAULT_MAX_PROMPT_CHARS, validatePrompt } from './input-validation.js';
import type { EncodeOptions, PromptTokenizer, TokenizedBatch } from './types.js';

/** The model-specific half of a tokenizer: text to ids without special tokens, and ids back to strings. */
export interface TextToIds {
  /** Ids of one validated prompt, without the opening/closing special tokens. */
  textToIds(text: string): number[];
  idToToken(id: number): string | undefined;
  readonly vocabSize: number;
}

/** Special ids and limits of a {@link PaddedPromptTokenizer}. */
export interface PaddedPromptTokenizerConfig {
  bosId: number;
  eosId: number;
  padId: number;
  maxLength: number;
  maxPromptChars?: number;
}

/**
 * The part shared by the CLIP and XLM-R tokenizers: validation, `<bos> ids <eos>`, truncation and right padding to a
 * fixed length with the attention mask — transformers' `padding="max_length", truncation=True` for one sequence
 * (truncation drops tokens from the end of the text and always keeps the closing special token).
 */
export class PaddedPromptTokenizer implements PromptTokenizer {
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;
  readonly maxLength: number;
  readonly maxPromptChars: number;

  constructor(
    private readonly model: TextToIds,
    config: PaddedPromptTokenizerConfig,
  ) {
    checkMaxLength(config.maxLength);
    const maxPromptChars = config.maxPromptChars ?? DEFAULT_MAX_PROMPT_CHARS;
    if (!Number.isInteger(maxPromptChars) || maxPromptChars < 0) {
      throw new TokenizerError(
        'invalid-option',
        `maxPromptChars must be a non-negative integer, got ${maxPromptChars}`,
      );
    }
    this.bosId = config.bosId;
    this.eosId = config.eosId;
    this.padId = config.padId;
    this.maxLength = config.maxLength;
    this.maxPromptChars = maxPromptChars;
  }

  get vocabSize(): number {
    return this.model.vocabSize;
  }

  encode(texts: readonly string[], options: EncodeOptions = {}): TokenizedBatch {
    if (!Array.isArray(texts)) {
      throw new TokenizerError('invalid-text', 'encode() takes an array of prompts');
    }
    const maxLength = options.maxLength ?? this.maxLength;
    checkMaxLength(maxLength);
    const overflow = options.overflow ?? 'truncate';
    if (overflow !== 'truncate' && overflow !== 'error') {
      throw new TokenizerError('invalid-option', `overflow must be 'truncate' or 'error', got ${String(overflow)}`);
    }
    // Validate the whole batch first so a bad prompt fails fast and nothing is half-done.
    texts.forEach((text, i) => {
      validatePrompt(text, i, this.maxPromptChars);
    });

    const batch: TokenizedBatch = { inputIds: [], attentionMask: [] };
    texts.forEach((text, i) => {
      let ids = this.model.textToIds(text);
      const room = maxLength - 2;
      if (ids.length > room) {
        if (overflow === 'error') {
          throw new TokenizerError(
            'too-many-tokens',
            `prompt ${i} has ${ids.length} tokens; at most ${room} fit in ${maxLength} with the start/end tokens`,
          );
        }
        ids = ids.slice(0, room);
      }
      const row = new Int32Array(maxLength).fill(this.padId);
      const mask = new Uint8Array(maxLength);
      row[0] = this.bosId;
      row.set(ids, 1);
      row[ids.length + 1] = this.eosId;
      mask.fill(1, 0, ids.length + 2);
      batch.inputIds.push(row);
      batch.attentionMask.push(mask);
    });
    return batch;
  }

  idsToTokens(ids: ArrayLike<number>): (string | undefined)[] {
    return Array.from(ids, (id) => this.model.idToToken(id));
  }
}

function checkMaxLength(maxLength: number): void {
  if (!Number.isInteger(maxLength) || maxLength < 2) {
    throw new TokenizerError(
      'invalid-option',
      `maxLength must be an integer >= 2 (room for the start and end tokens), got ${maxLength}`,
    );
  }
}
