import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelFileError } from '../io/errors.js';
import { PaddedPromptTokenizer } from './padded-prompt-tokenizer.js';
import { ProtobufDecodeError } from './protobuf-reader.js';
import { parseSentencePieceModel } from './sentencepiece-model.js';
import type { PromptTokenizer, TokenizerLoadOptions } from './types.js';
import {
  UnsupportedSentencePieceModelError,
  XLMR_BOS_ID,
  XLMR_EOS_ID,
  XLMR_PAD_ID,
  XlmRobertaSentencePiece,
} from './xlm-roberta-sentencepiece.js';

/** The SentencePiece file name of XLM-R checkpoints (a unigram model despite the ".bpe" in the name). */
export const XLMR_SENTENCEPIECE_FILE = 'sentencepiece.bpe.model';
/** The Kandinsky 2.1 decoder pipeline hard-codes 77, whatever the tokenizer config says (it says 512). */
const KANDINSKY_XLMR_MAX_LENGTH = 77;

/**
 * Loads the XLM-RoBERTa tokenizer of the Kandinsky 2.1 text encoder from a tokenizer folder holding
 * `sentencepiece.bpe.model`. Rows are `<s> … </s> <pad>…` (ids 0 / 2 / 1), `maxLength` 77 by default.
 * Throws `ModelFileError` when the file is missing, malformed or not an XLM-R-style unigram model.
 */
export async function loadXlmRobertaTokenizer(
  dir: string,
  options: TokenizerLoadOptions = {},
): Promise<PromptTokenizer> {
  const path = join(dir, XLMR_SENTENCEPIECE_FILE);
  let bytes: Uint8Array;
  try {
    const buffer = await readFile(path);
    bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (error) {
    throw new ModelFileError(`cannot read the XLM-R SentencePiece model: ${(error as Error).message}`, path);
  }
  return createXlmRobertaTokenizer(bytes, options, path);
}

/** Builds the tokenizer from the bytes of a SentencePiece `.model` file (`path` only labels errors). */
export function createXlmRobertaTokenizer(
  modelBytes: Uint8Array,
  options: TokenizerLoadOptions = {},
  path = XLMR_SENTENCEPIECE_FILE,
): PromptTokenizer {
  let model: XlmRobertaSentencePiece;
  try {
    model = new XlmRobertaSentencePiece(parseSentencePieceModel(modelBytes));
  } catch (error) {
    if (
      error instanceof ProtobufDecodeError ||
      error instanceof UnsupportedSentencePieceModelError ||
      error instanceof RangeError
    ) {
      throw new ModelFileError(`not a usable XLM-R SentencePiece model: ${error.message}`, path);
    }
    throw error;
  }
  return new PaddedPromptTokenizer(model, {
    bosId: XLMR_BOS_ID,
    eosId: XLMR_EOS_ID,
    padId: XLMR_PAD_ID,
    maxLength: options.maxLength ?? KANDINSKY_XLMR_MAX_LENGTH,
    maxPromptChars: options.maxPromptChars,
  });
}
