import { join } from 'node:path';
import { ModelFileError } from '../io/errors.js';
import { PaddedPromptTokenizer } from './padded-prompt-tokenizer.js';
import { ProtobufDecodeError } from './protobuf-reader.js';
import { parseSentencePieceModel, type SentencePieceModel } from './sentencepiece-model.js';
import { asBytes, asUtf8, readOptionalFile } from './tokenizer-files.js';
import { parseTokenizerJson, sentencePieceModelFromTokenizerJson } from './tokenizer-json.js';
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
 * Loads the XLM-RoBERTa tokenizer of the Kandinsky 2.1 text encoder from a tokenizer folder: `sentencepiece.bpe.model`
 * if present, else the same model data from `tokenizer.json`. Rows are `<s> … </s> <pad>…` (ids 0 / 2 / 1),
 * `maxLength` 77 by default. Throws `ModelFileError` when neither file exists or the model is malformed or not an
 * XLM-R-style unigram model.
 */
export async function loadXlmRobertaTokenizer(
  dir: string,
  options: TokenizerLoadOptions = {},
): Promise<PromptTokenizer> {
  const modelPath = join(dir, XLMR_SENTENCEPIECE_FILE);
  const modelFile = await readOptionalFile(modelPath);
  if (modelFile) return createXlmRobertaTokenizer(asBytes(modelFile), options, modelPath);

  const jsonPath = join(dir, 'tokenizer.json');
  const jsonFile = await readOptionalFile(jsonPath);
  if (!jsonFile) {
    throw new ModelFileError(`no ${XLMR_SENTENCEPIECE_FILE} or tokenizer.json: not an XLM-R tokenizer folder`, dir);
  }
  const model = sentencePieceModelFromTokenizerJson(parseTokenizerJson(asUtf8(jsonFile, jsonPath), jsonPath), jsonPath);
  return buildTokenizer(model, options, jsonPath);
}

/** Builds the tokenizer from the bytes of a SentencePiece `.model` file (`path` only labels errors). */
export function createXlmRobertaTokenizer(
  modelBytes: Uint8Array,
  options: TokenizerLoadOptions = {},
  path = XLMR_SENTENCEPIECE_FILE,
): PromptTokenizer {
  let model: SentencePieceModel;
  try {
    model = parseSentencePieceModel(modelBytes);
  } catch (error) {
    if (error instanceof ProtobufDecodeError) {
      throw new ModelFileError(`not a usable XLM-R SentencePiece model: ${error.message}`, path);
    }
    throw error;
  }
  return buildTokenizer(model, options, path);
}

function buildTokenizer(model: SentencePieceModel, options: TokenizerLoadOptions, path: string): PromptTokenizer {
  let textToIds: XlmRobertaSentencePiece;
  try {
    textToIds = new XlmRobertaSentencePiece(model);
  } catch (error) {
    if (error instanceof UnsupportedSentencePieceModelError || error instanceof RangeError) {
      throw new ModelFileError(`not a usable XLM-R SentencePiece model: ${error.message}`, path);
    }
    throw error;
  }
  return new PaddedPromptTokenizer(textToIds, {
    bosId: XLMR_BOS_ID,
    eosId: XLMR_EOS_ID,
    padId: XLMR_PAD_ID,
    maxLength: options.maxLength ?? KANDINSKY_XLMR_MAX_LENGTH,
    maxPromptChars: options.maxPromptChars,
  });
}
